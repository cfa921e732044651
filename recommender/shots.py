"""Shot-boundary detection on sampled, downscaled frames.

A frame's change score is the L1 distance between its colour histogram and the previous sampled frame's
(hue × saturation, plus brightness with the frame's mean removed), scaled to 0–100. Histograms ignore
where things are, so camera and subject motion barely move them while a cut does; removing the mean
brightness keeps flashes, pulses and fades from reading as cuts. A cut is a score that stands out against
its neighbours (ratio to their mean ≥ ``adaptive_threshold``, as PySceneDetect's AdaptiveDetector) and
exceeds ``min_content``. Thresholds were chosen on generated music videos and on generated panning shots
(see docs/benchmarks.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

HUE_BINS, SAT_BINS, VALUE_BINS = 16, 4, 8


@dataclass
class Shots:
    boundaries: np.ndarray  # (k,) seconds, where each shot after the first begins
    spans: list[tuple[float, float]]  # (start, end) seconds of every shot
    scores: np.ndarray  # (n,) change score per sampled frame, 0..100


def colour_histogram(img: np.ndarray) -> np.ndarray:
    """Normalised hue×saturation histogram and mean-removed brightness histogram of an RGB frame."""
    import cv2

    hsv = cv2.cvtColor(img, cv2.COLOR_RGB2HSV)
    hs = cv2.calcHist([hsv], [0, 1], None, [HUE_BINS, SAT_BINS], [0, 180, 0, 256]).ravel()
    v = hsv[..., 2].astype(np.float32)
    hv = np.histogram(np.clip(v - v.mean(), -128, 127), bins=VALUE_BINS, range=(-128, 128))[0].astype(np.float32)
    return np.concatenate([hs / max(1.0, hs.sum()), 0.5 * hv / max(1.0, hv.sum())])


def change_scores(images: np.ndarray) -> np.ndarray:
    """Change ``(n,)`` of each RGB frame ``(n, h, w, 3)`` against the previous one, 0..100 (0 for the first)."""
    hists = np.stack([colour_histogram(img) for img in images]) if len(images) else np.zeros((0, 1))
    scores = np.zeros(len(images), dtype=np.float32)
    scores[1:] = np.abs(np.diff(hists, axis=0)).sum(axis=1) / 1.5 * 100
    return scores


def detect_shots(
    images: np.ndarray, times: np.ndarray, *, duration: float | None = None, adaptive_threshold: float = 3.0,
    min_content: float = 15.0, window: int = 2, min_shot: float = 0.5,
) -> Shots:  # fmt: skip
    """Shots of a video from frames ``(n, h, w, 3)`` sampled at ``times`` ``(n,)`` seconds.

    ``window`` sampled frames on each side form the neighbourhood of the adaptive ratio; cuts closer than
    ``min_shot`` seconds to the previous one are dropped. The cut happened between the last sampled frame
    of one shot and the first of the next, so a boundary's time is the midpoint of the two.
    """
    times = np.asarray(times, dtype=float)
    duration = float(duration if duration is not None else (times[-1] if len(times) else 0.0))
    scores = change_scores(images)
    n = len(scores)
    boundaries: list[float] = []
    for i in range(1, n):
        neighbours = [scores[j] for j in range(max(1, i - window), min(n, i + window + 1)) if j != i]
        ratio = scores[i] / (np.mean(neighbours) + 1e-3) if neighbours else np.inf
        far_enough = not boundaries or times[i] - boundaries[-1] >= min_shot + 1e-9
        if scores[i] >= min_content and ratio >= adaptive_threshold and far_enough:
            boundaries.append(float(0.5 * (times[i - 1] + times[i])))
    edges = [0.0, *boundaries, duration]
    spans = [(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a]
    return Shots(np.array(boundaries), spans, scores)
