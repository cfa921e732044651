"""Shot-boundary detection on sampled, downscaled frames.

After PySceneDetect's ContentDetector and AdaptiveDetector: a frame's content score is the mean absolute
change of hue (circular), saturation, value and edges against the previous sampled frame; a cut is a score
that stands out against its neighbours (ratio to their mean ≥ ``adaptive_threshold``) and exceeds
``min_content``. The adaptive ratio keeps fast camera motion from reading as a string of cuts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Channel weights (hue, saturation, value, edges), as PySceneDetect's defaults.
WEIGHTS = (1.0, 1.0, 1.0, 0.0)


@dataclass
class Shots:
    boundaries: np.ndarray  # (k,) seconds, where each shot after the first begins
    spans: list[tuple[float, float]]  # (start, end) seconds of every shot
    scores: np.ndarray  # (n,) content score per sampled frame, 0..255 scale


def content_scores(images: np.ndarray, *, weights: tuple[float, float, float, float] = WEIGHTS) -> np.ndarray:
    """Content change ``(n,)`` of each RGB frame ``(n, h, w, 3)`` against the previous one (0 for the first)."""
    import cv2

    n = len(images)
    scores = np.zeros(n, dtype=np.float32)
    prev = None
    w = np.asarray(weights, dtype=np.float32)
    for i, img in enumerate(images):
        hsv = cv2.cvtColor(img, cv2.COLOR_RGB2HSV)
        h = hsv[..., 0].astype(np.float32) * (255.0 / 180.0)
        s, v = hsv[..., 1].astype(np.float32), hsv[..., 2].astype(np.float32)
        edges = cv2.Canny(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY), 80, 160).astype(np.float32) if w[3] else None
        if prev is not None:
            dh = np.abs(h - prev[0])
            dh = np.minimum(dh, 255.0 - dh)  # hue is circular
            parts = [dh.mean(), np.abs(s - prev[1]).mean(), np.abs(v - prev[2]).mean()]
            parts.append(np.abs(edges - prev[3]).mean() if edges is not None else 0.0)
            scores[i] = float(np.dot(w, parts) / w.sum())
        prev = (h, s, v, edges)
    return scores


def detect_shots(
    images: np.ndarray, times: np.ndarray, *, duration: float | None = None, adaptive_threshold: float = 3.0,
    min_content: float = 12.0, window: int = 2, min_shot: float = 0.5,
) -> Shots:  # fmt: skip
    """Shots of a video from frames ``(n, h, w, 3)`` sampled at ``times`` ``(n,)`` seconds.

    ``window`` sampled frames on each side form the neighbourhood of the adaptive ratio; cuts closer than
    ``min_shot`` seconds to the previous one are dropped. A boundary's time is its first frame's time.
    """
    times = np.asarray(times, dtype=float)
    duration = float(duration if duration is not None else (times[-1] if len(times) else 0.0))
    scores = content_scores(images)
    n = len(scores)
    boundaries: list[float] = []
    for i in range(1, n):
        neighbours = [scores[j] for j in range(max(1, i - window), min(n, i + window + 1)) if j != i]
        ratio = scores[i] / (np.mean(neighbours) + 1e-3) if neighbours else np.inf
        far_enough = not boundaries or times[i] - boundaries[-1] >= min_shot
        if scores[i] >= min_content and ratio >= adaptive_threshold and far_enough:
            boundaries.append(float(times[i]))
    edges = [0.0, *boundaries, duration]
    spans = [(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a]
    return Shots(np.array(boundaries), spans, scores)
