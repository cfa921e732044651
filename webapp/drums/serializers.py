from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from webapp.core.serializers import StrictInputMixin
from webapp.drums.models import DrumKit, DrumLoop, DrumSession, Rating


class DrumKitSerializer(serializers.ModelSerializer):
    shared = serializers.SerializerMethodField()

    class Meta:
        model = DrumKit
        fields = ["id", "name", "instruments", "shared", "created_at"]

    def get_shared(self, kit: DrumKit) -> bool:
        return kit.owner_id is None


class DrumLoopSerializer(serializers.ModelSerializer):
    audio_url = serializers.SerializerMethodField()
    midi_url = serializers.SerializerMethodField()

    class Meta:
        model = DrumLoop
        fields = [
            "id", "session", "index", "pattern", "p_like", "uncertainty", "source", "choose_ms", "rating",
            "favourite", "created_at", "rated_at", "audio_url", "midi_url",
        ]  # fmt: skip
        read_only_fields = fields

    def get_audio_url(self, loop: DrumLoop) -> str:
        return reverse("drum-loop-audio", args=[loop.pk])

    def get_midi_url(self, loop: DrumLoop) -> str:
        return reverse("drum-loop-midi", args=[loop.pk])


class SessionStatsSerializer(serializers.Serializer):
    like = serializers.IntegerField()
    dislike = serializers.IntegerField()
    skip = serializers.IntegerField()
    favourites = serializers.IntegerField()


class DrumSessionSerializer(StrictInputMixin, serializers.ModelSerializer):
    kit = serializers.PrimaryKeyRelatedField(queryset=DrumKit.objects.none(), allow_null=True, required=False)
    stats = serializers.SerializerMethodField()

    class Meta:
        model = DrumSession
        fields = ["id", "name", "tempo", "swing", "kit", "created_at", "updated_at", "stats"]
        read_only_fields = ["created_at", "updated_at", "stats"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            self.fields["kit"].queryset = DrumKit.objects.visible_to(request.user)

    @extend_schema_field(SessionStatsSerializer)
    def get_stats(self, session: DrumSession) -> dict:
        counts = dict.fromkeys(Rating.values, 0)
        for rating in session.loops.exclude(rating__isnull=True).values_list("rating", flat=True):
            counts[rating] += 1
        return {**counts, "favourites": session.loops.filter(favourite=True).count()}


class RatingSerializer(StrictInputMixin, serializers.Serializer):
    loop = serializers.IntegerField()
    rating = serializers.ChoiceField(choices=Rating.choices)


class RatingResultSerializer(serializers.Serializer):
    rated = DrumLoopSerializer()
    next = DrumLoopSerializer()


class FavouriteSerializer(StrictInputMixin, serializers.Serializer):
    favourite = serializers.BooleanField()


class LikeRatePointSerializer(serializers.Serializer):
    ratings = serializers.IntegerField(help_text="how many like/dislike ratings so far")
    like_rate = serializers.FloatField(help_text="share of likes among the last 10 of them")
    predicted_rate = serializers.FloatField(help_text="the learner's mean predicted P(like) for the same 10 loops")
    p_like = serializers.FloatField(help_text="the learner's predicted P(like) for this rating's loop when proposed")


class LoopRenderParams(serializers.Serializer):
    """Query parameters of a loop's audio and MIDI: render it at another tempo or swing."""

    tempo = serializers.FloatField(required=False, min_value=60, max_value=200, help_text="BPM; default: the session's")
    swing = serializers.FloatField(required=False, min_value=0, max_value=0.75, help_text="default: the session's")
