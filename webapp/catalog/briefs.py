"""Query-time ranking of the catalog by a brief in words (``GET /api/tracks/?prompt=``).

The tracks' measured traits come from the rows of the queryset the user may see (with any filters); their tag
probabilities from a per-process matrix of every track's tags, rebuilt only when tags change (count, last id and
sum of TrackTag: ``assign_tags`` replaces a track's rows), so a brief over 10,000 tracks reads one small query,
not 120,000 tag rows. The listener's own tag labels sit on top, as the track list shows them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from django.conf import settings
from django.db.models import Count, Max, Sum

from recommender.brief import Brief, Ranking, explain, parse_brief, rank, summary
from recommender.brief_traits import CatalogTraits
from recommender.context.tags import CONTEXT_TAGS
from webapp.catalog.models import TagLabel, TrackTag

_TAG_COLUMN = {t: j for j, t in enumerate(CONTEXT_TAGS)}
_lock = threading.Lock()
_tags_cache: dict = {"key": None, "ids": np.zeros(0, dtype=np.int64), "probs": np.zeros((0, len(CONTEXT_TAGS)))}


@dataclass
class RankedBrief:
    brief: Brief
    ids: list[int]  # every track id, best first (ties: by id)
    ranking: Ranking
    traits: CatalogTraits
    row_of: dict[int, int]  # track id → its row in ranking and traits

    def fit(self, track_id: int) -> dict:
        """How one track fits the brief: {"score", "summary", "matches"} (see recommender.brief.explain)."""
        i = self.row_of[track_id]
        groups = explain(self.ranking, i, self.traits)
        return {"score": round(float(self.ranking.scores[i]), 4), "summary": summary(groups), "matches": groups}


def _all_tags() -> tuple[np.ndarray, np.ndarray]:
    """(sorted track ids ``(n,)``, their tag probabilities ``(n, C)``), cached until TrackTag rows change."""
    # ids can come back after a rollback (tests, SQLite): the sum of probabilities tells such states apart too
    key = tuple(TrackTag.objects.aggregate(n=Count("id"), last=Max("id"), total=Sum("probability")).values())
    with _lock:
        if _tags_cache["key"] != key:
            rows = np.array(list(TrackTag.objects.values_list("track_id", "tag", "probability")), dtype=object)
            if len(rows) == 0:
                ids, probs = np.zeros(0, dtype=np.int64), np.zeros((0, len(CONTEXT_TAGS)))
            else:
                track_ids = rows[:, 0].astype(np.int64)
                ids, where = np.unique(track_ids, return_inverse=True)
                probs = np.zeros((len(ids), len(CONTEXT_TAGS)))
                cols = np.array([_TAG_COLUMN.get(t, -1) for t in rows[:, 1]])
                ok = cols >= 0
                probs[where[ok], cols[ok]] = rows[ok, 2].astype(float)
            _tags_cache.update(key=key, ids=ids, probs=probs)
        return _tags_cache["ids"], _tags_cache["probs"]


def catalog_traits(queryset, user) -> tuple[np.ndarray, CatalogTraits]:
    """The ids ``(n,)`` and traits of the tracks in ``queryset``, with ``user``'s own tag labels on top."""
    rows = list(queryset.order_by().values_list("pk", "tempo", "loudness", "mode", "key", "title", "artist"))
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    tag_ids, tag_probs = _all_tags()
    tags = np.full((len(ids), len(CONTEXT_TAGS)), 0.05)
    if len(tag_ids):
        pos = np.clip(np.searchsorted(tag_ids, ids), 0, len(tag_ids) - 1)
        found = tag_ids[pos] == ids
        tags[found] = tag_probs[pos[found]]
    if user is not None and user.is_authenticated:
        row_of = {int(pk): i for i, pk in enumerate(ids)}
        labels = TagLabel.objects.filter(user=user, track_id__in=row_of).values_list("track_id", "tag", "positive")
        for track_id, tag, positive in labels:
            if tag in _TAG_COLUMN:
                tags[row_of[track_id], _TAG_COLUMN[tag]] = 1.0 if positive else 0.0
    traits = CatalogTraits.from_rows(
        tempo=[r[1] for r in rows], loudness=[r[2] for r in rows], mode=[r[3] for r in rows],
        key=[r[4] for r in rows], tags=tags, texts=[f"{r[5]} {r[6]}" for r in rows],
    )  # fmt: skip
    return ids, traits


@lru_cache(maxsize=256)
def _parsed(prompt: str, use_meaning: bool) -> Brief:
    """A brief's parse, kept: the next page of the same brief does not run the sentence encoder again."""
    return parse_brief(prompt, use_meaning=use_meaning)


def rank_tracks(queryset, user, prompt: str) -> RankedBrief:
    """Every track of ``queryset`` ordered by its fit to ``prompt``. ValueError for a brief over 500 characters."""
    brief = _parsed(prompt, getattr(settings, "BRIEF_USE_MEANING", True))
    ids, traits = catalog_traits(queryset, user)
    ranking = rank(brief, traits)
    order = np.lexsort((ids, -ranking.scores))
    return RankedBrief(ranking.brief, [int(ids[i]) for i in order], ranking, traits,
                       {int(pk): i for i, pk in enumerate(ids)})  # fmt: skip
