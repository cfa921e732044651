from datetime import UTC, datetime

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from recommender.context.situation import DEVICES
from recommender.context.tags import CONTEXT_TAGS
from webapp.catalog.models import Track
from webapp.catalog.serializers import TrackSerializer
from webapp.core.serializers import RoundedFloatField, StrictInputMixin
from webapp.listening.models import Action, Listen


def parse_local_time(value: str) -> datetime:
    """ISO 8601 local time ("2026-11-26T07:40" or with seconds/offset); the wall clock is what counts."""
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        raise serializers.ValidationError(f"{value!r} is not a time: use ISO 8601, e.g. 2026-11-26T07:40")
    return parsed.replace(tzinfo=None)


@extend_schema_field({"type": "string", "format": "date-time"})
class LocalTimeField(serializers.CharField):
    """A local time in ISO 8601 (`2026-11-26T07:40`, with seconds or an offset too); the wall clock is what counts."""

    def to_internal_value(self, data) -> datetime:
        return parse_local_time(super().to_internal_value(data))


class ListenSerializer(StrictInputMixin, serializers.ModelSerializer):
    context = serializers.ChoiceField(choices=["", *CONTEXT_TAGS], required=False, default="",
                                      help_text="the context you were in, if you say so")  # fmt: skip
    device = serializers.ChoiceField(choices=DEVICES, required=False, help_text="default: from the User-Agent")
    time = LocalTimeField(required=False, write_only=True, help_text="your local time, ISO 8601; default: now")
    action = serializers.ChoiceField(choices=Action.choices)

    class Meta:
        model = Listen
        fields = ["id", "track", "action", "context", "device", "time", "local_time", "created_at"]
        read_only_fields = ["id", "local_time", "created_at"]
        extra_kwargs = {"track": {"error_messages": {"does_not_exist": "no such track: {pk_value}"}}}

    def validate_track(self, track: Track) -> Track:
        """Only tracks the user can see: another user's private track is as unknown as a missing one."""
        if not Track.objects.visible_to(self.context["request"].user).filter(pk=track.pk).exists():
            raise serializers.ValidationError(f"no such track: {track.pk}")
        return track

    def create(self, data: dict) -> Listen:
        when = data.pop("time", None) or self.context["now"]
        return Listen.objects.create(local_time=when.replace(tzinfo=UTC), **data)


class PlaylistParams(serializers.Serializer):
    """Query parameters of /api/playlists/now/."""

    device = serializers.ChoiceField(choices=DEVICES, required=False, help_text="default: from the User-Agent")
    time = LocalTimeField(required=False, help_text="your local time, ISO 8601 (default: now)")
    k = serializers.IntegerField(required=False, default=20, min_value=1, max_value=100, help_text="playlist length")


class PlaylistItemSerializer(serializers.Serializer):
    track = TrackSerializer()
    score = RoundedFloatField(decimals=4)
    fits = serializers.DictField(
        child=RoundedFloatField(decimals=3), help_text="P(context | track, you) for the top contexts"
    )


class ContextProbabilitySerializer(serializers.Serializer):
    tag = serializers.CharField()
    probability = RoundedFloatField(decimals=3)


class PlaylistSerializer(serializers.Serializer):
    situation = serializers.CharField()
    device = serializers.CharField()
    time = serializers.CharField()
    contexts = ContextProbabilitySerializer(many=True)
    reason = serializers.CharField()
    source = serializers.CharField()
    items = PlaylistItemSerializer(many=True)
