from collections.abc import Mapping

from rest_framework import serializers

from webapp.core.models import Job


def _is_integer(v) -> bool:
    return (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer())


def _is_number(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _is_id(v) -> bool:  # an integer, or its digits: forms (and a page or two) send "3"
    return _is_integer(v) or (isinstance(v, str) and v.isdigit())


def _json_type(field: serializers.Field):
    """The JSON type a request field takes, as (its name, a test); None where DRF's own checks say enough."""
    if isinstance(field, serializers.BooleanField):
        return "a boolean", lambda v: isinstance(v, bool)
    if isinstance(field, serializers.IntegerField):
        return "an integer", _is_integer
    if isinstance(field, serializers.FloatField | serializers.DecimalField):
        return "a number", _is_number
    if isinstance(field, serializers.PrimaryKeyRelatedField):
        return "an id", _is_id
    if isinstance(field, serializers.ChoiceField) and not all(isinstance(c, str) for c in field.choices):
        return None
    if isinstance(field, serializers.CharField | serializers.ChoiceField):
        return "a string", lambda v: isinstance(v, str)
    return None


def _too_long(field: serializers.Field, value) -> bool:
    return isinstance(field, serializers.CharField) and bool(field.max_length) and len(str(value)) > field.max_length


class StrictInputMixin:
    """Request values are checked as the schema states them, where DRF would bend them.

    - A JSON value of the wrong type is a 400: DRF turns 0 into "0" for a string field, false into 0.0 for a
      number and 1 or "yes" into true for a boolean. (Form and multipart bodies carry only strings: left to DRF.
      Null is left to ``allow_null``.)
    - A string longer than its ``maxLength`` is a 400 even when stripping its surrounding whitespace would make it
      fit (DRF checks the length after stripping).
    """

    def to_internal_value(self, data):
        if not isinstance(data, Mapping):  # DRF says what it expects
            return super().to_internal_value(data)
        errors = {}
        is_json = isinstance(data, dict) and not hasattr(data, "getlist")  # not a QueryDict (form data)
        for name, field in self.fields.items():
            if field.read_only or name not in data or data[name] is None:
                continue
            value = data[name]
            expected = _json_type(field) if is_json else None
            if expected is not None and not expected[1](value):
                errors[name] = [f"must be {expected[0]}"]
            elif _too_long(field, value):
                errors[name] = [f"Ensure this field has no more than {field.max_length} characters."]
        if errors:
            raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class RoundedFloatField(serializers.FloatField):
    """A float given out rounded to ``decimals`` places (scores, seconds): the one place where results are rounded."""

    def __init__(self, *, decimals: int, **kwargs) -> None:
        self.decimals = decimals
        super().__init__(**kwargs)

    def to_representation(self, value) -> float:
        return round(super().to_representation(value), self.decimals)


class JobSerializer(serializers.ModelSerializer):
    target = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "state",
            "progress",
            "message",
            "params",
            "result",
            "error",
            "attempts",
            "target",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_target(self, job: Job) -> dict | None:
        if job.target_type_id is None:
            return None
        return {"type": job.target_type.model, "id": job.target_id}


class SelfTestSerializer(StrictInputMixin, serializers.Serializer):
    steps = serializers.IntegerField(min_value=1, max_value=200, default=10)
    step_seconds = serializers.FloatField(min_value=0.0, max_value=5.0, default=0.1)


class JobRefSerializer(serializers.Serializer):
    """The job that was queued; follow it at /api/jobs/{job}/."""

    job = serializers.IntegerField()


def validated_query(params_class: type[serializers.Serializer], query_params) -> dict:
    """Query parameters checked by a serializer (which also documents them in the schema); 400 on bad input.

    Read as a plain dict, not as form input, so that an empty value (`?k=`) is a value to check, not an omission.
    """
    params = params_class(data=query_params.dict() if hasattr(query_params, "dict") else dict(query_params))
    params.is_valid(raise_exception=True)
    return params.validated_data
