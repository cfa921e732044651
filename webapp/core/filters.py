"""Query-string filters as django-filter FilterSets, checked and documented as every other request value.

A ``QueryFilter`` reads its value with a DRF serializer field, so a query parameter is checked exactly as a body
field of that type would be (an empty value, ``?tempo_min=``, is a value to check, not an omission: 400) and the
schema states it from the same field. ``FilterBackend`` (DEFAULT_FILTER_BACKENDS) filters what a list shows; an
action on one object that takes filters for something else (the tracks similar to this one) applies its FilterSet
itself with ``QueryFilterSet.apply``, and declares it with ``filterset_class`` on the action for the schema.
"""

from __future__ import annotations

import copy

import django_filters
from django import forms
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.plumbing import build_array_type, build_parameter_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_field
from rest_framework import serializers


@extend_schema_field(OpenApiTypes.STR)
class CommaSeparatedChoiceField(serializers.CharField):
    """`a,b` in a query string: a list of known choices (empty items are ignored)."""

    def __init__(self, *, choices, **kwargs) -> None:
        self.choices = tuple(choices)
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> list[str]:
        items = [t for t in super().to_internal_value(data).split(",") if t]
        unknown = sorted(set(items) - set(self.choices))
        if unknown:
            raise serializers.ValidationError(f"unknown tags {unknown}; known: {', '.join(self.choices)}")
        return items


class QueryFormField(forms.Field):
    """A form field that takes its value as the DRF field ``query_field`` would: the same parsing and messages."""

    def __init__(self, *, query_field: serializers.Field, **kwargs) -> None:
        self.query_field = query_field
        super().__init__(**kwargs)

    def clean(self, value):
        if value is None:  # not in the query string
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return None
        try:
            return self.query_field.run_validation(value)
        except serializers.ValidationError as exc:
            raise forms.ValidationError(exc.detail)


class QueryFilter(django_filters.Filter):
    """A filter whose value is checked by a DRF serializer field (and documented from it)."""

    field_class = QueryFormField

    def __init__(self, query_field: serializers.Field, field_name=None, lookup_expr=None, **kwargs) -> None:
        kwargs.setdefault("required", query_field.required)
        super().__init__(field_name, lookup_expr, query_field=query_field, **kwargs)

    @property
    def query_field(self) -> serializers.Field:
        return self.extra["query_field"]


class QueryFilterSet(django_filters.FilterSet):
    @classmethod
    def apply(cls, request, queryset):
        """``queryset`` filtered by the request's query string; 400 on bad values (as the backend does)."""
        filterset = cls(request.query_params, queryset=queryset, request=request)
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        return filterset.qs


class FilterBackend(DjangoFilterBackend):
    """Filters a list view by its ``filterset_class``. A detail view's object is never filtered out by the query
    string: ``get_object`` goes through the filter backends too."""

    def filter_queryset(self, request, queryset, view):
        if getattr(view, "detail", False):
            return queryset
        return super().filter_queryset(request, queryset, view)

    def get_filterset_class(self, view, queryset=None):
        # An action's filters may be about other objects than the view's own (tracks for a video).
        return getattr(view, "filterset_class", None)


class QueryFilterExtension(DjangoFilterExtension):
    """Schema of a ``QueryFilter``: the parameter its DRF field makes, as a serializer given as `parameters` would
    make it (type, bounds, enum, default, description); a comma-separated list is an array with `explode: false`."""

    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        if not isinstance(filter_field, QueryFilter):
            return super().resolve_filter_field(auto_schema, model, filterset_class, field_name, filter_field)
        params = serializers.Serializer()
        params.fields[field_name] = field = copy.deepcopy(filter_field.query_field)
        mapped = auto_schema._map_serializer(params, "request")
        schema = mapped["properties"][field_name]
        description = schema.pop("description", None)
        enum, explode, style = None, None, None
        if isinstance(field, CommaSeparatedChoiceField):
            schema, enum, explode, style = build_array_type({"type": "string"}), field.choices, False, "form"
        return [
            build_parameter_type(
                name=field_name, schema=schema, location=OpenApiParameter.QUERY, description=description,
                required=field_name in mapped.get("required", []), allow_blank=getattr(field, "allow_blank", True),
                enum=enum, explode=explode, style=style,
            )
        ]  # fmt: skip
