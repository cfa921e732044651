"""A video's context tags, borrowed from the catalog: the tags of its nearest tracks in the shared space."""

from __future__ import annotations

import numpy as np

from recommender.context.tags import CONTEXT_TAGS, neighbour_tags
from webapp.catalog.indexes import visible_neighbours, xm_track_index
from webapp.catalog.models import Track, TrackTag


def video_tags(vector: np.ndarray, owner, *, k: int = 20) -> dict[str, float]:
    """Context tags of ``owner``'s video: the tags of its nearest tracks that ``owner`` may see, in the shared
    space, weighted by similarity (another user's private tracks never shape them)."""
    visible = Track.objects.visible_to(owner).ready()
    hits = visible_neighbours(xm_track_index(), vector, visible, k)
    if not hits:
        return {}
    row = {track.pk: i for i, (track, _) in enumerate(hits)}
    probs = np.zeros((len(hits), len(CONTEXT_TAGS)))
    for track_id, tag, p in TrackTag.objects.filter(track_id__in=row).values_list("track_id", "tag", "probability"):
        if tag in CONTEXT_TAGS:
            probs[row[track_id], CONTEXT_TAGS.index(tag)] = p
    mean = neighbour_tags(np.array([score for _, score in hits]), probs)
    return {CONTEXT_TAGS[c]: round(float(mean[c]), 3) for c in np.argsort(-mean, kind="stable")}
