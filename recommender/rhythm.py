"""Visual rhythm at the video's full frame rate: exact cut frames, flashes and motion accents.

Shots are found on a few sampled frames per second (``recommender.shots``), which places a cut only to
within a quarter of a second; an editor cuts on the frame. While the video is decoded once, every frame
also gives three cheap numbers from a tiny thumbnail: brightness, motion (mean absolute change from the
previous frame) and a colour-histogram change. From them come the moments a viewer feels as beats
("visual rhythm", Davis & Agrawala, SIGGRAPH 2018): the exact frame of each cut, and accents where the
picture flashes or its motion suddenly starts or changes (impacts, zoom punches), which the alignment
matches against the music's onsets at its own resolution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recommender.shots import colour_histogram

THUMB_WIDTH = 48


@dataclass
class FrameSignals:
    """Per decoded frame ``(n,)``: time (s), brightness 0..1, motion 0..1, colour change 0..1; and each
    frame's colour histogram ``(n, bins)`` (``shots.colour_histogram``), to compare frames further apart."""

    times: np.ndarray
    brightness: np.ndarray
    motion: np.ndarray
    change: np.ndarray
    histograms: np.ndarray | None = None

    @property
    def fps(self) -> float:
        return float(1.0 / np.median(np.diff(self.times))) if len(self.times) > 1 else 25.0


class SignalRecorder:
    """Accumulates the signals frame by frame during the one decode (thumbnails ``(h, w, 3)`` uint8 RGB)."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.rows: list[tuple[float, float, float]] = []
        self.hists: list[np.ndarray] = []
        self._prev_gray: np.ndarray | None = None
        self._prev_hist: np.ndarray | None = None

    def add(self, t: float, thumb: np.ndarray) -> None:
        img = thumb.astype(np.float32)
        gray = img @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
        hist = colour_histogram(thumb)  # the shot detector's own measure, so both agree on what a cut is
        motion = 0.0 if self._prev_gray is None else float(np.abs(gray - self._prev_gray).mean() / 255.0)
        change = 0.0 if self._prev_hist is None else float(np.abs(hist - self._prev_hist).sum() / 1.5)
        self.times.append(float(t))
        self.rows.append((float(gray.mean() / 255.0), motion, change))
        self.hists.append(hist.astype(np.float32))
        self._prev_gray, self._prev_hist = gray, hist

    def result(self) -> FrameSignals:
        rows = np.array(self.rows, dtype=np.float64).reshape(-1, 3)
        hists = np.stack(self.hists) if self.hists else None
        return FrameSignals(np.array(self.times), rows[:, 0], rows[:, 1], rows[:, 2], hists)


def refine_cuts(signals: FrameSignals, boundaries, *, radius: float = 0.3, gradual: bool = True) -> np.ndarray:
    """Each coarse cut time moved to the exact frame where the new shot begins (seconds, ``(k,)``).

    The frame with the largest colour change within ``radius`` seconds is the first frame of the new shot.
    A dissolve has no such frame: with ``gradual``, a cut inside a gradual transition moves to the frame
    where the transition starts (the first frame a viewer sees the new shot in), and transitions that the
    sampled shot detector missed are added.
    """
    t = signals.times
    score = signals.change
    out = []
    for b in np.asarray(boundaries, dtype=float):
        lo, hi = np.searchsorted(t, b - radius), np.searchsorted(t, b + radius)
        if hi - lo < 1:
            out.append(float(b))
            continue
        j = lo + int(np.argmax(score[lo:hi]))
        out.append(float(t[j]))
    cuts = np.unique(np.array(out, dtype=float))
    if not gradual or len(t) < 8:
        return cuts
    slack = 2.0 / max(1.0, signals.fps)
    for start, end in gradual_transitions(signals):
        inside = (cuts >= start - slack) & (cuts <= end + slack)
        cuts = np.append(cuts[~inside], start)
    return np.unique(cuts)


def gradual_transitions(
    signals: FrameSignals, *, min_frames: int = 4, max_seconds: float = 1.5, floor: float = 0.05,
    min_distance: float = 0.3, context: float = 1.0,
) -> list[tuple[float, float]]:  # fmt: skip
    """Dissolves and other gradual shot changes: ``(start, end)`` in seconds.

    A run of at least ``min_frames`` frames whose colour change (a 3-frame mean) stands above its local
    lower quartile (±``context`` s) by more than ``floor`` and at least doubles it (gaps of two frames
    allowed), no longer than ``max_seconds``, counts when
    the frames just before and just after it differ like two shots do (histogram distance ≥
    ``min_distance``, the scale of ``SignalRecorder``'s change) and no single frame carries half of that;
    a pan or a flicker changes every frame a little but leaves the picture's colours where they were.
    """
    h = signals.histograms
    t, change = signals.times, signals.change
    n = len(t)
    if h is None or n < 2 * min_frames:
        return []
    half = max(2, int(round(context * signals.fps)))
    # a dissolve is sustained and per-frame noise is not (whole-pixel pans alternate), so compare the 3-frame mean
    smooth = np.convolve(np.pad(change, 1, mode="edge"), np.ones(3) / 3.0, mode="valid")
    pad = np.pad(smooth, half, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(pad, 2 * half + 1)
    base = np.percentile(windows, 25, axis=1)  # the shot's own change: a dissolve inside the window does not move it
    excess = smooth - base
    up = (excess > floor) & (excess > base)  # at least double the shot's own change, and visibly so
    out = []
    j = 0
    while j < n:
        if not up[j]:
            j += 1
            continue
        k = j
        while k + 1 < n and (up[k + 1] or (k + 2 < n and up[k + 2]) or (k + 3 < n and up[k + 3])):
            k += 1  # a frame or two of compression noise inside a dissolve does not end it
        while j < k and change[j] - base[j] <= floor:  # the mean rose a frame early: start on a changed frame
            j += 1
        if min_frames <= k - j + 1 and t[k] - t[j] <= max_seconds:
            before, after = h[max(0, j - 1)], h[min(n - 1, k + 1)]
            distance = float(np.abs(after - before).sum() / 1.5)
            # one frame carrying half of it is a hard cut among moving frames, which refine_cuts has placed
            if distance >= min_distance and change[j : k + 1].max() < 0.5 * distance:
                out.append((float(t[j]), float(t[k])))
        j = k + 1
    return out


def _excess(x: np.ndarray, floor: float) -> np.ndarray:
    """How far ``x`` stands above its typical level, in units of its spread, never below an absolute ``floor``.

    Frame-to-frame noise (compression, whole-pixel pans) is small but regular; an accent must beat both it
    and a change a viewer could see at all.
    """
    med = float(np.median(x))
    spread = max(floor, med + 4.0 * 1.4826 * float(np.median(np.abs(x - med))))
    return x / spread


def accents(
    signals: FrameSignals, cuts=(), *, guard: float = 0.12, threshold: float = 1.0, min_gap: float = 0.1,
    flash_floor: float = 0.025, motion_floor: float = 0.015,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Visual accents: times (s) and strengths 0..1 ``(k,)`` of flashes and sudden motion, away from cuts.

    A flash is brightness rising above its last few frames; a motion accent is motion jumping above its
    previous frames (a start, a punch-in, an impact). Each is measured against its own typical level and
    an absolute floor (``flash_floor`` of full brightness, ``motion_floor`` of mean pixel change); peaks
    above ``threshold`` at least ``guard`` s from a cut become accents (a cut is an event of its own).
    """
    t = signals.times
    n = len(t)
    if n < 5:
        return np.zeros(0), np.zeros(0)
    b = signals.brightness
    recent = np.maximum.reduce([np.roll(b, k) for k in (1, 2, 3)])
    rise = np.maximum(0.0, b - recent)
    rise[:3] = 0.0
    m = signals.motion
    jump = np.maximum(0.0, m - np.maximum(np.roll(m, 1), np.roll(m, 2)))
    jump[:2] = 0.0
    curve = np.maximum(_excess(rise, flash_floor), _excess(jump, motion_floor))
    cuts = np.asarray(cuts, dtype=float)
    near_cut = np.zeros(n, dtype=bool)
    for c in cuts:
        near_cut |= np.abs(t - c) <= guard
    is_peak = (curve >= np.roll(curve, 1)) & (curve >= np.roll(curve, -1)) & (curve >= threshold) & ~near_cut
    is_peak[[0, -1]] = False
    times, strengths = [], []
    for i in np.flatnonzero(is_peak):
        if times and t[i] - times[-1] < min_gap:
            if curve[i] > strengths[-1]:
                times[-1], strengths[-1] = float(t[i]), float(curve[i])
            continue
        times.append(float(t[i]))
        strengths.append(float(curve[i]))
    s = np.array(strengths)
    return np.array(times), np.minimum(s / (4.0 * threshold), 1.0)
