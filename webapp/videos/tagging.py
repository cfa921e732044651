"""A video's context tags, borrowed from the catalog: the tags of its nearest tracks in the shared space."""

from __future__ import annotations

import numpy as np

from recommender.context.tags import CONTEXT_TAGS
from webapp.catalog.indexes import visible_neighbours, xm_track_index
from webapp.catalog.models import Track, TrackTag


def video_tags(vector: np.ndarray, owner, *, k: int = 20) -> dict[str, float]:
    """Context tags of ``owner``'s video: the tags of its nearest tracks that ``owner`` may see, in the shared
    space, weighted by similarity (another user's private tracks never shape them)."""
    visible = Track.objects.visible_to(owner).ready()
    weights = {t.pk: max(0.0, score) + 1e-6 for t, score in visible_neighbours(xm_track_index(), vector, visible, k)}
    if not weights:
        return {}
    totals = dict.fromkeys(CONTEXT_TAGS, 0.0)
    for track_id, tag, p in TrackTag.objects.filter(track_id__in=weights).values_list("track_id", "tag", "probability"):
        if tag in totals:
            totals[tag] += weights[track_id] * p
    norm = sum(weights.values())
    return {tag: round(v / norm, 3) for tag, v in sorted(totals.items(), key=lambda kv: -kv[1])}
