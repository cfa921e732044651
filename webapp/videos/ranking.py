"""Global ranking of the catalog for a video: how its picture looks and whether its editing keeps a track's time.

The clip vector (the cross-modal model) says what music the picture looks like; on footage whose picture says
nothing about the music it is at chance, and the alignment, which only sees the tracks global ranking hands
it, would be too. The pace fit (``recommender.pace``) needs only the video's cut and accent times and each
track's tempo, so it scores every visible track at once; the two are blended by ``GLOBAL_PACE_WEIGHT``.
"""

from __future__ import annotations

import numpy as np
from django.conf import settings

from recommender import pace
from webapp.catalog.indexes import visible_neighbours, xm_track_index
from webapp.catalog.models import Track
from webapp.videos.models import Video

CONTENT_POOL = 1000  # nearest tracks by clip vector whose cosine counts; the rest get the pool's lowest


def video_events(video: Video) -> np.ndarray:
    """The video's cut and accent times (s), ``(n,)``."""
    accents = np.asarray(video.accents or [], dtype=float).reshape(-1, 2)
    return np.r_[np.asarray(video.cut_times or [], dtype=float), accents[:, 0]]


def pace_weight() -> float:
    return float(getattr(settings, "GLOBAL_PACE_WEIGHT", pace.WEIGHT))


def global_neighbours(video: Video, tracks, k: int) -> list[tuple[Track, float]]:
    """The ``k`` best of ``tracks`` (a queryset the user may see) for ``video``, best first, with their score:
    the clip vector's cosine, or with enough visual events, cosine and pace fit as blended z-scores."""
    intervals = pace.event_intervals(video_events(video))
    weight = pace_weight()
    if weight <= 0 or len(intervals) == 0:
        return visible_neighbours(xm_track_index(), video.vector, tracks, k) if video.vector is not None else []
    rows = np.array([(pk, tempo or np.nan) for pk, tempo in tracks.values_list("pk", "tempo")]).reshape(-1, 2)
    if len(rows) == 0 or k < 1:
        return []
    ids = rows[:, 0].astype(np.int64)
    content = np.zeros(len(ids))
    if video.vector is not None:
        hits = visible_neighbours(xm_track_index(), video.vector, tracks.only("pk"), min(len(ids), CONTENT_POOL))
        cosine = {t.pk: s for t, s in hits}
        floor = min(cosine.values(), default=0.0)
        content = np.array([cosine.get(int(i), floor) for i in ids])
    fit = pace.pace_fit(intervals, rows[:, 1])
    score = pace.blend(content, fit, weight=weight) if video.vector is not None else fit
    top = np.argsort(-score, kind="stable")[:k]
    found = Track.objects.in_bulk(ids[top].tolist())
    return [(found[int(ids[j])], float(score[j])) for j in top if int(ids[j]) in found]
