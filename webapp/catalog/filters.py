"""Filters on catalog tracks: the track list, similar tracks and a video's soundtracks take them."""

from __future__ import annotations

from django.db.models import Q
from rest_framework import serializers

from recommender.brief import MAX_BRIEF_CHARS
from recommender.context.tags import CONTEXT_TAGS
from webapp.catalog.models import TrackState
from webapp.core.filters import CommaSeparatedChoiceField, QueryFilter, QueryFilterSet

TAG_THRESHOLD = 0.5  # a tag "fits" a track from this probability on


class TrackFilter(QueryFilterSet):
    """What a search among tracks can ask for: context tags (all of them) and tempo and duration bounds."""

    tags = QueryFilter(
        CommaSeparatedChoiceField(
            choices=CONTEXT_TAGS, required=False, help_text="comma-separated context tags, all required (P ≥ 0.5)"
        ),
        method="filter_tags",
    )
    tempo_min = QueryFilter(
        serializers.FloatField(required=False, min_value=0, max_value=1000, help_text="BPM"),
        field_name="tempo", lookup_expr="gte",
    )  # fmt: skip
    tempo_max = QueryFilter(
        serializers.FloatField(required=False, min_value=0, max_value=1000, help_text="BPM"),
        field_name="tempo", lookup_expr="lte",
    )  # fmt: skip
    min_duration = QueryFilter(
        serializers.FloatField(required=False, min_value=0, help_text="seconds"),
        field_name="duration", lookup_expr="gte",
    )  # fmt: skip

    def filter_tags(self, queryset, name, tags: list[str]):
        for tag in tags:
            queryset = queryset.filter(tags__tag=tag, tags__probability__gte=TAG_THRESHOLD)
        return queryset.distinct()


class TrackListFilter(TrackFilter):
    """The track list: the search filters, and text, state and your own uploads."""

    mine = QueryFilter(
        serializers.BooleanField(required=False, default=False, help_text="only your own uploads"),
        method="filter_mine",
    )
    q = QueryFilter(
        serializers.CharField(required=False, allow_blank=True, help_text="in the title or the artist"),
        method="filter_text",
    )
    state = QueryFilter(serializers.ChoiceField(choices=TrackState.choices, required=False), field_name="state")
    prompt = QueryFilter(
        serializers.CharField(
            required=False, allow_blank=True, max_length=MAX_BRIEF_CHARS,
            help_text="a brief in words (\"slow, calm, for sleep, not sad\", \"120 bpm in A minor\"): analysed tracks "
            "ranked by how well they fit it, each with `brief` saying which words matched which traits",
        ),
        method="filter_prompt",
    )  # fmt: skip

    def filter_mine(self, queryset, name, mine: bool):
        return queryset.filter(owner=self.request.user) if mine else queryset

    def filter_prompt(self, queryset, name, prompt: str):
        return queryset.ready() if prompt.strip() else queryset  # the view ranks them (webapp/catalog/briefs.py)

    def filter_text(self, queryset, name, text: str):
        return queryset.filter(Q(title__icontains=text) | Q(artist__icontains=text))
