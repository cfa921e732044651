from django.urls import reverse
from rest_framework import serializers

from recommender.context.tags import CONTEXT_TAGS
from webapp.catalog.models import Section, Track, TrackTag


class SectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Section
        fields = ["index", "start", "end", "label"]


class TrackTagSerializer(serializers.ModelSerializer):
    class Meta:
        model = TrackTag
        fields = ["tag", "probability", "source", "model_version"]


class TrackSerializer(serializers.ModelSerializer):
    sections = SectionSerializer(many=True, read_only=True)
    tags = serializers.SerializerMethodField()
    audio_url = serializers.SerializerMethodField()
    mine = serializers.SerializerMethodField()
    job = serializers.SerializerMethodField()

    class Meta:
        model = Track
        fields = [
            "id", "title", "artist", "state", "error", "duration", "tempo", "key", "mode", "loudness", "shared",
            "public", "mine", "tags", "sections", "audio_url", "job", "created_at",
        ]  # fmt: skip
        read_only_fields = [f for f in fields if f not in ("title", "artist", "public")]

    def get_tags(self, track: Track) -> list[dict]:
        """The catalog's tags, with this user's own labels on top (source "user")."""
        tags = {t.tag: TrackTagSerializer(t).data for t in track.tags.all()}
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


class TrackDetailSerializer(TrackSerializer):
    class Meta(TrackSerializer.Meta):
        fields = [*TrackSerializer.Meta.fields, "beats", "downbeats", "energy", "energy_hop", "waveform",
                  "key_confidence"]  # fmt: skip
        read_only_fields = [f for f in fields if f not in ("title", "artist", "public")]


class TrackUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    public = serializers.BooleanField(default=False)


class TagSerializer(serializers.Serializer):
    tag = serializers.ChoiceField(choices=CONTEXT_TAGS)


class SimilarTrackSerializer(serializers.Serializer):
    score = serializers.FloatField()
    track = TrackSerializer()
