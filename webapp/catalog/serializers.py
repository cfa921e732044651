from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from recommender.context.tags import CONTEXT_TAGS
from webapp.catalog.models import Section, TagSource, Track
from webapp.core.serializers import RoundedFloatField, StrictInputMixin


class SectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Section
        fields = ["index", "start", "end", "label"]


class TrackContextTagSerializer(serializers.Serializer):
    """A context tag as a listener sees it: the catalog's, or their own label (source `user`, probability 0 or 1)."""

    tag = serializers.CharField()
    probability = serializers.FloatField()
    source = serializers.ChoiceField(choices=[*TagSource.values, "user"])
    model_version = serializers.IntegerField()


class TrackSerializer(StrictInputMixin, serializers.ModelSerializer):
    sections = SectionSerializer(many=True, read_only=True)
    tags = serializers.SerializerMethodField()
    audio_url = serializers.SerializerMethodField()
    mine = serializers.SerializerMethodField()
    job = serializers.SerializerMethodField()

    class Meta:
        model = Track
        fields = [
            "id", "title", "artist", "state", "error", "duration", "tempo", "key", "mode", "loudness", "shared",
            "public", "mine", "tags", "sections", "highlight_start", "highlight_end", "audio_url", "job", "created_at",
        ]  # fmt: skip
        read_only_fields = [f for f in fields if f not in ("title", "artist", "public")]

    @extend_schema_field(TrackContextTagSerializer(many=True))
    def get_tags(self, track: Track) -> list[dict]:
        """The catalog's tags, with this user's own labels on top (source "user")."""
        # plain dicts: a serializer per tag was most of a list page's time (10 tags × 50 tracks)
        tags = {t.tag: {"tag": t.tag, "probability": t.probability, "source": t.source,
                        "model_version": t.model_version} for t in track.tags.all()}  # fmt: skip
        labels = self.context.get("labels", {}).get(track.pk, {})
        for tag, positive in labels.items():
            tags[tag] = {"tag": tag, "probability": 1.0 if positive else 0.0, "source": "user", "model_version": 0}
        return sorted(tags.values(), key=lambda t: -t["probability"])

    def get_audio_url(self, track: Track) -> str:
        return reverse("track-audio", args=[track.pk])

    def get_mine(self, track: Track) -> bool:
        request = self.context.get("request")
        return bool(request and track.owner_id == request.user.pk)

    def get_job(self, track: Track) -> int | None:
        """The latest job on this track when it is the viewer's own (jobs are private to their owner)."""
        return self.context.get("jobs", {}).get(track.pk)


class BriefTraitSerializer(serializers.Serializer):
    trait = serializers.CharField(help_text='a trait ("slow", "sleep"…), "bpm:120", "key:9:1" or "word:sunset"')
    label = serializers.CharField(help_text='what it means: "tempo ≤ 90"')
    value = serializers.CharField(help_text='this track\'s own figure: "72 BPM", "0.85"')
    fit = serializers.FloatField(help_text="0–1, before negation")
    via = serializers.ChoiceField(choices=["word", "number", "key", "meaning", "title"])


class BriefMatchSerializer(serializers.Serializer):
    words = serializers.CharField(help_text="the brief's words")
    negated = serializers.BooleanField()
    traits = BriefTraitSerializer(many=True)


class BriefFitSerializer(serializers.Serializer):
    score = serializers.FloatField(help_text="0–1: the weighted mean fit to what the brief asked (1 − fit if negated)")
    summary = serializers.CharField(help_text='"upbeat → tempo ≥ 120 (128 BPM), happy (0.80); not sad → sad (0.12)"')
    matches = BriefMatchSerializer(many=True)
    ignored = serializers.ListField(child=serializers.CharField(), help_text="words Segue cannot measure or find")


class TrackListItemSerializer(TrackSerializer):
    """A track of the list; with `?prompt=`, how it fits the brief."""

    brief = serializers.SerializerMethodField()

    class Meta(TrackSerializer.Meta):
        fields = [*TrackSerializer.Meta.fields, "brief"]

    @extend_schema_field(BriefFitSerializer(allow_null=True))
    def get_brief(self, track: Track) -> dict | None:
        ranked = self.context.get("brief")
        return None if ranked is None else {**ranked.fit(track.pk), "ignored": ranked.brief.ignored}


class TrackDetailSerializer(TrackSerializer):
    class Meta(TrackSerializer.Meta):
        fields = [*TrackSerializer.Meta.fields, "beats", "downbeats", "energy", "energy_hop", "waveform",
                  "key_confidence"]  # fmt: skip
        read_only_fields = [f for f in fields if f not in ("title", "artist", "public")]


class TrackUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="an audio file (wav, flac, ogg, mp3, m4a/aac) or a video with a soundtrack")
    public = serializers.BooleanField(default=False)


class TagSerializer(StrictInputMixin, serializers.Serializer):
    tag = serializers.ChoiceField(choices=CONTEXT_TAGS)


class SimilarTrackSerializer(serializers.Serializer):
    score = RoundedFloatField(decimals=4)
    track = TrackSerializer()


class SectionSearchSerializer(serializers.Serializer):
    """A reference file (multipart): analysed in memory, never stored."""

    file = serializers.FileField(help_text="an audio file (3 s or more; the first 60 s are used)")
    k = serializers.IntegerField(required=False, default=10, min_value=1, max_value=50, help_text="how many")


class SectionSpanSearchSerializer(StrictInputMixin, serializers.Serializer):
    """A span of a catalog track you can see (JSON): the other tracks' passages that sound like it."""

    track = serializers.IntegerField(help_text="a catalog track you can see")
    start = serializers.FloatField(required=False, default=0.0, min_value=0, help_text="s; past the end: the end")
    seconds = serializers.FloatField(required=False, default=10.0, min_value=3, max_value=60, help_text="how long")
    k = serializers.IntegerField(required=False, default=10, min_value=1, max_value=50, help_text="how many")


class SectionMatchSerializer(serializers.Serializer):
    track = TrackSerializer()
    start = serializers.FloatField(help_text="where the match starts in the track, s")
    end = serializers.FloatField(help_text="s")
    score = RoundedFloatField(decimals=4, help_text="0–1: the share of the reference's passages that agree")
    section = SectionSerializer(allow_null=True, help_text="the track's section the match starts in")


# --- query parameters that are not filters (webapp/catalog/filters.py has those) ------------------------------------


class SearchParams(serializers.Serializer):
    k = serializers.IntegerField(required=False, default=10, min_value=1, max_value=100, help_text="how many")
