"""A video's context tags, borrowed from the catalog: the tags of its nearest tracks in the shared space."""

from __future__ import annotations

import numpy as np

from recommender.context.tags import CONTEXT_TAGS
from webapp.catalog.indexes import xm_track_index
from webapp.catalog.models import TrackTag


def video_tags(vector: np.ndarray, *, k: int = 20) -> dict[str, float]:
    """Context tags of a video: its nearest catalog tracks' tags in the shared space, weighted by similarity."""
    hits = xm_track_index().search(vector[None].astype(np.float32), k)[0] if len(xm_track_index()) else []
    weights = {h.id: max(0.0, h.score) + 1e-6 for h in hits}
    if not weights:
        return {}
    totals = dict.fromkeys(CONTEXT_TAGS, 0.0)
    for track_id, tag, p in TrackTag.objects.filter(track_id__in=weights).values_list("track_id", "tag", "probability"):
        if tag in totals:
            totals[tag] += weights[track_id] * p
    norm = sum(weights.values())
    return {tag: round(v / norm, 3) for tag, v in sorted(totals.items(), key=lambda kv: -kv[1])}
