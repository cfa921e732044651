"""The catalog's FAISS indexes (one file each under INDEX_DIR), shared by the web process and workers."""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings

from recommender.index import VectorIndex
from recommender.models.audio_encoder import EncoderConfig

DIM = EncoderConfig().dim


@lru_cache(maxsize=1)
def track_index() -> VectorIndex:
    return VectorIndex(settings.INDEX_DIR / "tracks.faiss", dim=DIM, factory=settings.INDEX_FACTORY_TRACKS)


@lru_cache(maxsize=1)
def section_index() -> VectorIndex:
    return VectorIndex(settings.INDEX_DIR / "sections.faiss", dim=DIM, factory=settings.INDEX_FACTORY_SECTIONS)


# The shared music–video space (the cross-modal model's audio branch), searched with video vectors.
@lru_cache(maxsize=1)
def xm_track_index() -> VectorIndex:
    return VectorIndex(settings.INDEX_DIR / "xm_tracks.faiss", dim=DIM, factory=settings.INDEX_FACTORY_TRACKS)


@lru_cache(maxsize=1)
def xm_section_index() -> VectorIndex:
    return VectorIndex(settings.INDEX_DIR / "xm_sections.faiss", dim=DIM, factory=settings.INDEX_FACTORY_SECTIONS)


def all_indexes() -> list[VectorIndex]:
    return [track_index(), section_index(), xm_track_index(), xm_section_index()]
