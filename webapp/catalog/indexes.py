"""The catalog's FAISS indexes (one file each under INDEX_DIR), shared by the web process and workers."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
from django.conf import settings

from recommender import passages
from recommender.index import VectorIndex, set_search_params
from webapp.catalog.models import Section, Track, TrackState

DIM = 128  # recommender.models.audio_encoder.EncoderConfig().dim (a test checks), without importing torch here


class MappedIndex(VectorIndex):
    """A ``VectorIndex`` whose searches read the file memory-mapped (FAISS's ``IO_FLAG_MMAP_IFC``): the vectors stay
    in the page cache, one copy for every web worker and worker child on the machine, instead of one copy in each
    process's own memory (a million 128-d Flat vectors: 512 MB). Writes (upsert, remove, rebuild) are unchanged:
    they read the file whole and replace it atomically; a reader maps the new file when it sees it change, and
    the old mapping stays valid until it is dropped."""

    def _current(self):
        import faiss

        try:
            mtime = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return super()._current()  # no file yet: an empty exact index in memory
        with self._mutex:
            if self._index is None or mtime != self._mtime:
                self._index = faiss.read_index(str(self.path), faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY)
                set_search_params(self._index)
                self._mtime = mtime
            return self._index


# One object per file and process (each reloads its file when it changes): four in all, never more.
@lru_cache(maxsize=1)
def track_index() -> VectorIndex:
    return MappedIndex(settings.INDEX_DIR / "tracks.faiss", dim=DIM, factory=settings.INDEX_FACTORY_TRACKS)


@lru_cache(maxsize=1)
def section_index() -> VectorIndex:
    return MappedIndex(settings.INDEX_DIR / "sections.faiss", dim=DIM, factory=settings.INDEX_FACTORY_SECTIONS)


# The shared music–video space (the cross-modal model's audio branch), searched with video vectors.
@lru_cache(maxsize=1)
def xm_track_index() -> VectorIndex:
    return MappedIndex(settings.INDEX_DIR / "xm_tracks.faiss", dim=DIM, factory=settings.INDEX_FACTORY_TRACKS)


@lru_cache(maxsize=1)
def xm_section_index() -> VectorIndex:
    return MappedIndex(settings.INDEX_DIR / "xm_sections.faiss", dim=DIM, factory=settings.INDEX_FACTORY_SECTIONS)


# Short passages (2 s of chroma + MFCC) of every track: where a reference excerpt comes from (search.py).
@lru_cache(maxsize=1)
def passage_index() -> VectorIndex:
    factory = getattr(settings, "INDEX_FACTORY_PASSAGES", "Flat")
    return MappedIndex(settings.INDEX_DIR / "passages.faiss", dim=passages.DIM, factory=factory)


def track_passages(track: Track) -> tuple[np.ndarray, np.ndarray]:
    """(ids, unit vectors) of a track's passages; none for a track analysed before passages were kept."""
    blocks = track.passage_blocks
    if blocks is None or len(blocks) < passages.SPAN:
        return np.zeros(0, dtype=np.int64), np.zeros((0, passages.DIM), dtype=np.float32)
    vecs = passages.passage_vectors(blocks)
    return passages.passage_ids(track.pk, len(vecs)), vecs


def _vectors(rows) -> tuple[np.ndarray, np.ndarray]:
    rows = [(pk, blob) for pk, blob in rows if blob is not None]
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros((0, track_index().dim), dtype=np.float32)
    return np.array([pk for pk, _ in rows]), np.stack([np.frombuffer(bytes(b), dtype=np.float32) for _, b in rows])


# (index, the field it holds) for tracks and for sections: audio similarity, and the shared music–video space.
def _track_indexes():
    return [(track_index(), "embedding"), (xm_track_index(), "xm_embedding")]


def _section_indexes():
    return [(section_index(), "embedding"), (xm_section_index(), "xm_embedding")]


def index_track(track: Track) -> None:
    """Add (or replace) a track's vectors and its sections' vectors in every index."""
    for index, field in _track_indexes():
        ids, vecs = _vectors([(track.pk, getattr(track, field))])
        if len(ids):
            index.upsert(ids, vecs)
    for index, field in _section_indexes():
        ids, vecs = _vectors(track.sections.values_list("pk", field))
        if len(ids):
            index.upsert(ids, vecs)
    ids, vecs = track_passages(track)
    if len(ids):
        passage_index().upsert(ids, vecs)


def unindex_track(track_id: int, section_ids: list[int], passage_count: int = 0) -> None:
    for index, _ in _track_indexes():
        index.remove(np.array([track_id]))
    if passage_count:
        passage_index().remove(passages.passage_ids(track_id, passage_count))
    if section_ids:
        for index, _ in _section_indexes():
            index.remove(np.array(section_ids))


def rebuild_indexes() -> tuple[int, int]:
    """Write every index file anew from the database and swap them in atomically."""
    tracks = Track.objects.ready()
    sections = Section.objects.filter(track__state=TrackState.READY)
    for index, field in _track_indexes():
        index.rebuild(*_vectors(tracks.values_list("pk", field)))
    for index, field in _section_indexes():
        index.rebuild(*_vectors(sections.values_list("pk", field)))
    parts = [track_passages(t) for t in tracks.exclude(passages=None).only("pk", "passages")]
    passage_index().rebuild(
        np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, dtype=np.int64),
        np.concatenate([p[1] for p in parts]) if parts else np.zeros((0, passages.DIM), dtype=np.float32),
    )
    return tracks.exclude(embedding=None).count(), sections.exclude(embedding=None).count()


def visible_neighbours(index: VectorIndex, vector: np.ndarray, queryset, k: int) -> list[tuple[Any, float]]:
    """The ``k`` nearest neighbours of ``vector`` in ``index`` among the rows of ``queryset`` (those the user may see,
    with any filters), nearest first, as (object, cosine score).

    The index holds every row, so the search widens until ``k`` of them are in the queryset or the index is
    exhausted: neighbours the user may not see never make the answer shorter than it can be.
    """
    size = len(index)
    if k < 1 or size == 0:
        return []
    query = np.asarray(vector, dtype=np.float32)[None]
    fetch = min(size, max(50, 10 * k))
    while True:
        hits = index.search(query, fetch)[0]
        allowed = queryset.in_bulk([h.id for h in hits])
        found = [(allowed[h.id], h.score) for h in hits if h.id in allowed][:k]
        if len(found) >= k or fetch >= size:
            return found
        fetch = min(size, fetch * 4)  # too many were not visible: look further
