"""Query-time ranking of the catalog by a brief in words (``GET /api/tracks/?prompt=``).

Every track's traits (tempo, loudness, mode, key, title, artist, tag probabilities) are held per process as numpy
arrays, a snapshot rebuilt only when ``CatalogVersion``'s token changes (every ORM write to tracks' traits or tags
bumps it, in the same transaction). A brief over 10,000 tracks then reads the token (one primary-key read), the ids
of the tracks the user may see with the list's filters (one narrow query) and the user's own tag labels, which sit
on top as the track list shows them; the rest is numpy.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
from django.conf import settings

from recommender.brief import Brief, Ranking, explain, parse_brief, rank, summary
from recommender.brief_traits import CatalogTraits
from recommender.context.tags import CONTEXT_TAGS
from webapp.catalog.models import CatalogVersion, TagLabel, Track, TrackTag

_TAG_COLUMN = {t: j for j, t in enumerate(CONTEXT_TAGS)}
NO_TAG = 0.05  # the probability of a tag for a track that has no row for it yet


@dataclass(frozen=True)
class Snapshot:
    """Every track's traits at one ``CatalogVersion`` token: ``ids`` ``(n,)`` sorted, ``traits`` row for row."""

    token: int | None
    ids: np.ndarray
    traits: CatalogTraits


_lock = threading.Lock()
_snapshot: Snapshot | None = None


class RankedBrief:
    """Tracks ordered by their fit to a brief, and how each fits."""

    def __init__(self, brief: Brief, ids: np.ndarray, ranking: Ranking, traits: CatalogTraits) -> None:
        self.brief, self.ranking, self.traits = brief, ranking, traits
        self._ids = ids  # (n,) sorted: the row of each track in ranking and traits
        self.ids: list[int] = ids[np.lexsort((ids, -ranking.scores))].tolist()  # best first (ties: by id)

    @cached_property
    def row_of(self) -> dict[int, int]:
        """Track id → its row in ranking and traits."""
        return {pk: i for i, pk in enumerate(self._ids.tolist())}

    def fit(self, track_id: int) -> dict:
        """How one track fits the brief: {"score", "summary", "matches"} (see recommender.brief.explain)."""
        i = int(np.searchsorted(self._ids, track_id))
        if i >= len(self._ids) or self._ids[i] != track_id:
            raise KeyError(track_id)
        groups = explain(self.ranking, i, self.traits)
        return {"score": round(float(self.ranking.scores[i]), 4), "summary": summary(groups), "matches": groups}


def _build(token: int | None) -> Snapshot:
    """Read every track's traits and tags (two queries) into arrays."""
    rows = list(Track.objects.order_by("pk").values_list("pk", "tempo", "loudness", "mode", "key", "title", "artist"))
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    tags = np.full((len(ids), len(CONTEXT_TAGS)), NO_TAG)
    tag_rows = list(TrackTag.objects.order_by().values_list("track_id", "tag", "probability"))
    if tag_rows and len(ids):
        track_ids = np.array([r[0] for r in tag_rows], dtype=np.int64)
        cols = np.array([_TAG_COLUMN.get(r[1], -1) for r in tag_rows])
        probs = np.array([r[2] for r in tag_rows], dtype=np.float64)
        pos = np.clip(np.searchsorted(ids, track_ids), 0, len(ids) - 1)
        ok = (cols >= 0) & (ids[pos] == track_ids)
        tags[pos[ok], cols[ok]] = probs[ok]
    traits = CatalogTraits.from_rows(
        tempo=[r[1] for r in rows], loudness=[r[2] for r in rows], mode=[r[3] for r in rows],
        key=[r[4] for r in rows], tags=tags, texts=[f"{r[5]} {r[6]}" for r in rows],
    )  # fmt: skip
    _ = traits.words  # built once per snapshot, not per brief
    return Snapshot(token, ids, traits)


def snapshot(*, force: bool = False) -> Snapshot:
    """The process's snapshot of every track's traits, rebuilt when the catalog's version token has changed."""
    global _snapshot
    token = CatalogVersion.current()  # read before the rows: a write in between makes the next call rebuild
    with _lock:
        if force or _snapshot is None or _snapshot.token != token:
            _snapshot = _build(token)
        return _snapshot


def catalog_traits(queryset, user) -> tuple[np.ndarray, CatalogTraits]:
    """The ids ``(n,)`` (sorted) and traits of the tracks in ``queryset``, with ``user``'s own tag labels on top."""
    snap = snapshot()
    ids = np.unique(np.fromiter(queryset.order_by().values_list("pk", flat=True), dtype=np.int64))
    pos = np.clip(np.searchsorted(snap.ids, ids), 0, max(len(snap.ids) - 1, 0))
    if len(ids) and (len(snap.ids) == 0 or not np.array_equal(snap.ids[pos], ids)):
        snap = snapshot(force=True)  # a track written without the ORM: read everything again
        pos = np.clip(np.searchsorted(snap.ids, ids), 0, max(len(snap.ids) - 1, 0))
        found = snap.ids[pos] == ids if len(snap.ids) else np.zeros(len(ids), dtype=bool)
        ids, pos = ids[found], pos[found]
    traits = snap.traits.take(pos)
    if user is not None and user.is_authenticated and len(ids):
        for track_id, tag, positive in TagLabel.objects.filter(user=user).values_list("track_id", "tag", "positive"):
            i = int(np.searchsorted(ids, track_id))
            if i < len(ids) and ids[i] == track_id and tag in _TAG_COLUMN:
                traits.tags[i, _TAG_COLUMN[tag]] = 1.0 if positive else 0.0
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
    return RankedBrief(ranking.brief, ids, ranking, traits)
