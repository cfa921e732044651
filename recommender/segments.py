"""Music segments for alignment: downbeat-aligned spans of a few bars that never straddle a section change.

Editors cut on downbeats and section changes ("Is there a language of music-video clips?", Prétet et al.
2021), so those are the units a video's shots are aligned to (Prétet et al. 2023).
"""

from __future__ import annotations

import numpy as np


def music_segments(
    duration: float, downbeats, section_starts=(), *, bars: int = 2, min_seconds: float = 1.0
) -> list[tuple[float, float]]:
    """(start, end) seconds covering ``[0, duration]``: every ``bars`` downbeats, split at section starts.

    Without downbeats (e.g. free-time music) the track is cut every 4 s instead. Pieces shorter than
    ``min_seconds`` join their neighbour.
    """
    downbeats = np.asarray(downbeats, dtype=float)
    downbeats = downbeats[(downbeats >= 0) & (downbeats < duration)]
    marks = (
        set(downbeats[::bars][downbeats[::bars] > 0].tolist())
        if len(downbeats)
        else set(np.arange(4.0, duration, 4.0).tolist())
    )
    marks.update(float(s) for s in section_starts if 0 < s < duration)
    edges = [0.0]
    for t in sorted(marks):
        if t - edges[-1] >= min_seconds:
            edges.append(t)
    if duration - edges[-1] < min_seconds and len(edges) > 1:
        edges.pop()
    edges.append(float(duration))
    return list(zip(edges[:-1], edges[1:], strict=True))
