"""A track's highlight: the 15–30-s span that best stands for it, where a preview should start.

Choruses are what a listener remembers: music that comes back and is among the loudest. Every ``core``-second
window (on the ``block_seconds`` grid of ``passages.block_features``: mean chroma + MFCC) scores its repetition —
the best mean cosine along a diagonal of the self-similarity matrix, i.e. the same music again at least one window
later or earlier (Goto's RefraiD, in its simplest form) — plus its loudness (mean dB of the energy curve), both
scaled to [0, 1] over the track, repetition weighted ``repetition_weight``. From the best window the start moves
back while the score stays within ``delta`` of the best (to the beginning of the chorus), then snaps to a section
start within 3 s, else to the nearest downbeat (editors cut there). Last, among the downbeats within ``radius`` s
of it, the start goes where the music changes most from the bar before to the bar after (``section_entry``: the
rise in loudness plus the change in timbre): a chorus comes in louder and different, and a window as long as
``core`` cannot tell on its own where a 4-bar section begins.
"""

from __future__ import annotations

import numpy as np


def _scaled(x: np.ndarray) -> np.ndarray:
    span = float(x.max() - x.min()) if len(x) else 0.0
    return np.zeros_like(x) if span < 1e-9 else (x - x.min()) / span


def window_repetition(blocks: np.ndarray, width: int) -> np.ndarray:
    """``(m - width + 1,)``: for each window of ``width`` blocks, its best mean cosine with a window of the same
    music at least ``width`` blocks away (blocks ``(m, F)`` are centred and normalised first)."""
    m = len(blocks)
    out = np.full(max(0, m - width + 1), -1.0)
    if m < 2 * width:
        return out
    x = blocks - blocks.mean(axis=0)
    x = x / (np.linalg.norm(x, axis=1, keepdims=True) + 1e-9)
    ssm = x @ x.T
    kernel = np.ones(width) / width
    for lag in range(width, m - width + 1):
        c = np.convolve(np.diagonal(ssm, lag), kernel, mode="valid")  # window at k vs window at k + lag
        n = len(c)
        out[:n] = np.maximum(out[:n], c)
        out[lag : lag + n] = np.maximum(out[lag : lag + n], c)
    return out


def _span_means(x: np.ndarray, hop: float, starts: np.ndarray, length: float) -> np.ndarray:
    """Mean of ``x`` ``(t, ...)`` (one row per ``hop`` s) over ``[s, s + length)`` for each start ``s``, clipped."""
    csum = np.concatenate([np.zeros((1, *x.shape[1:])), np.cumsum(x, axis=0)])
    i = np.clip(np.floor(starts / hop).astype(int), 0, len(x) - 1)
    j = np.clip(np.floor((starts + length) / hop).astype(int), i + 1, len(x))
    return (csum[j] - csum[i]) / (j - i).reshape(-1, *([1] * (x.ndim - 1)))


def section_entry(
    blocks: np.ndarray,
    energy: np.ndarray,
    near: float,
    downbeats: np.ndarray,
    *,
    radius: float = 6.0,
    block_seconds: float = 0.5,
    energy_hop: float = 0.5,
) -> float:
    """The downbeat within ``radius`` s of ``near`` (seconds) where the music changes most from the bar before to
    the bar after: the rise of the energy curve (dB) plus the cosine distance of the mean block features, each
    scaled to [0, 1] over the candidates. ``near`` itself when no downbeat is that close."""
    beats = np.asarray(downbeats, dtype=np.float64)
    candidates = beats[np.abs(beats - near) <= radius]
    if len(candidates) == 0 or len(beats) < 2 or len(blocks) == 0 or len(energy) == 0:
        return float(near)
    bar = float(np.median(np.diff(beats)))
    energy = np.asarray(energy, dtype=np.float64)
    rise = _span_means(energy, energy_hop, candidates, bar) - _span_means(energy, energy_hop, candidates - bar, bar)
    x = np.asarray(blocks, dtype=np.float64)
    x = x - x.mean(axis=0)
    x = x / (np.linalg.norm(x, axis=1, keepdims=True) + 1e-9)
    after = _span_means(x, block_seconds, candidates, bar)
    before = _span_means(x, block_seconds, candidates - bar, bar)
    cosine = np.sum(after * before, axis=1) / (np.linalg.norm(after, axis=1) * np.linalg.norm(before, axis=1) + 1e-9)
    return float(candidates[int(np.argmax(_scaled(rise) + _scaled(1.0 - cosine)))])


def highlight(
    blocks: np.ndarray,
    energy: np.ndarray,
    duration: float,
    *,
    block_seconds: float = 0.5,
    energy_hop: float = 0.5,
    section_starts: list[float] | np.ndarray = (),
    downbeats: list[float] | np.ndarray = (),
    core: float = 8.0,
    delta: float = 0.1,
    repetition_weight: float = 2.0,
    min_seconds: float = 15.0,
    max_seconds: float = 30.0,
    radius: float = 6.0,
) -> tuple[float, float]:
    """(start, end) seconds of the highlight from per-block features ``blocks`` ``(m, F)`` and the energy curve
    (dB, one value per ``energy_hop`` s). The span lasts ``min_seconds``, or on to the next section start when
    that comes within ``max_seconds``. A track shorter than ``min_seconds`` is its own highlight. ``radius=0``
    leaves out the last step (the start where the music changes most)."""
    if duration <= min_seconds:
        return 0.0, round(float(duration), 3)
    width = max(1, int(round(core / block_seconds)))
    rep = window_repetition(np.asarray(blocks, dtype=np.float64), width)
    energy = np.asarray(energy, dtype=np.float64)
    per = max(1, int(round(core / energy_hop)))
    loud = np.convolve(energy, np.ones(per) / per, mode="valid") if len(energy) >= per else np.zeros(0)
    if len(loud):  # on the block grid
        loud = np.interp(np.arange(len(rep)) * block_seconds, np.arange(len(loud)) * energy_hop, loud)
    n = min(len(rep), len(loud))
    if n == 0:
        return 0.0, round(min_seconds, 3)
    score = _scaled(loud[:n]) + repetition_weight * _scaled(rep[:n])
    best = int(np.argmax(score))
    i = best
    while i > 0 and score[i - 1] >= score[best] - delta:
        i -= 1
    start = i * block_seconds
    starts = np.asarray(section_starts, dtype=np.float64)
    near = starts[np.abs(starts - start) <= 3.0]
    if len(near):
        start = float(near[np.argmin(np.abs(near - start))])
    elif len(downbeats):
        beats = np.asarray(downbeats, dtype=np.float64)
        start = float(beats[np.argmin(np.abs(beats - start))])
    if radius > 0 and len(downbeats) >= 3:
        start = section_entry(blocks, energy, start, downbeats, radius=radius, block_seconds=block_seconds,
                              energy_hop=energy_hop)  # fmt: skip
    start = max(0.0, min(start, duration - min_seconds))
    following = starts[(starts >= start + min_seconds) & (starts <= start + max_seconds)]
    end = float(following[0]) if len(following) else start + min_seconds
    return round(start, 3), round(min(end, duration), 3)
