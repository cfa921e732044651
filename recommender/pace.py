"""Pace: does a video's editing keep the time of a track, whatever the picture shows?

Editors cut and flash on the beat, so the intervals between a video's visual events (cuts, flashes,
motion accents) fall on whole multiples of the music's beat period, at any offset into the track. That
needs no alignment and no learned content: only the events' times and each track's tempo. It is the
clip-level half of structure matching (``recommender.alignment`` is the offset-level half), cheap enough
to score a whole catalog, so global ranking and the choice of the candidates worth aligning can use it
on footage whose picture says nothing about the music.

For a candidate beat period ``T`` the comb's teeth are at multiples of ``T / 2`` (editors cut on
off-beats too); an interval within ``tolerance`` seconds of a tooth is a hit. A finer comb hits more by
chance, so the score is the hit rate minus the rate a random interval would reach: the excess over chance,
comparable across tempos (a track at double the tempo does not win by having twice the teeth).
"""

from __future__ import annotations

import numpy as np

MIN_INTERVAL = 0.2  # seconds: closer events are one gesture (a flash right after a cut)
MAX_INTERVAL = 8.0  # seconds: a few bars; further apart, tempo drift and rubato blur the comb
TOLERANCE = 0.04  # seconds either side of a tooth: a frame at 25 fps plus the analysis's jitter
MIN_EVENTS = 3  # fewer events say nothing about a tempo
# Pace against content in global ranking (z-scores): alike. On the real-media benchmark's set A content is at
# random, pace alone reaches R@10 0.52 and content + pace 0.40 (weight 1) to 0.38 (weight 2); on in-domain
# videos content carries most, so neither may drown the other (docs/benchmarks.md, issue 13).
WEIGHT = 1.0
# An analysis may read a tempo an octave off (80 for 160 BPM) and the comb cannot tell octaves apart anyway, so
# tempos are folded into one octave first: teeth every half beat of 60-120 BPM, 0.25-0.5 s, never finer than an
# editor's shortest shots. Octave-blind, a double-tempo reading no longer halves a track's teeth and its excess
# over chance (real-media benchmark, global content + pace, mean R@10 over sets A-D: as read 0.375, folded 0.450).
FOLD_BPM = 60.0


def event_intervals(times, *, min_interval: float = MIN_INTERVAL, max_interval: float = MAX_INTERVAL) -> np.ndarray:
    """Every positive interval (s) between two of the event ``times`` ``(n,)`` within the bounds, ``(m,)``."""
    t = np.sort(np.asarray(times, dtype=np.float64).ravel())
    if len(t) < MIN_EVENTS:
        return np.zeros(0)
    d = (t[None, :] - t[:, None])[np.triu_indices(len(t), 1)]
    return d[(d >= min_interval) & (d <= max_interval)]


def fold_tempo(tempos, *, low: float = FOLD_BPM) -> np.ndarray:
    """``tempos`` ``(n,)`` BPM halved or doubled into ``[low, 2 low)``; non-positive or missing ones unchanged."""
    bpm = np.asarray(tempos, dtype=np.float64).copy()
    ok = np.isfinite(bpm) & (bpm > 0)
    octaves = np.floor(np.log2(np.where(ok, bpm, low) / low))
    bpm[ok] = (bpm / 2.0**octaves)[ok]
    return bpm


def pace_fit(intervals, tempos, *, tolerance: float = TOLERANCE, chunk: int = 4096, fold: bool = True) -> np.ndarray:
    """Excess over chance of ``intervals`` ``(m,)`` s on each track's half-beat comb, ``(n,)`` for ``tempos``
    ``(n,)`` BPM (folded into one octave unless ``fold`` is False); 0 where there are no intervals or no tempo
    (no evidence either way)."""
    d = np.asarray(intervals, dtype=np.float32)
    bpm = fold_tempo(tempos) if fold else np.asarray(tempos, dtype=np.float64)
    out = np.zeros(len(bpm))
    valid = np.isfinite(bpm) & (bpm > 0)
    if len(d) == 0 or not valid.any():
        return out
    half = np.where(valid, 30.0 / np.where(valid, bpm, 1.0), 1.0).astype(np.float32)  # T / 2, seconds
    for a in range(0, len(bpm), chunk):  # (chunk, m) float32 at a time: 10,000 tracks × 1,000 intervals in pieces
        h = half[a : a + chunk, None]
        r = d[None, :] / h
        hits = (np.abs(r - np.round(r)) * h < tolerance).mean(axis=1)
        chance = np.minimum(1.0, 2.0 * tolerance / half[a : a + chunk])
        out[a : a + chunk] = hits - chance
    out[~valid] = 0.0
    return out


def standardise(scores) -> np.ndarray:
    """``scores`` ``(n,)`` as z-scores across the candidates (zeros when they do not vary)."""
    x = np.asarray(scores, dtype=np.float64)
    sd = x.std() if len(x) else 0.0
    return (x - x.mean()) / sd if sd > 1e-12 else np.zeros_like(x)


def blend(content, pace, *, weight: float) -> np.ndarray:
    """Global score ``(n,)``: the content similarity and the pace fit, each standardised across the
    candidates, the pace counted ``weight`` times; ``weight`` 0 ranks by content alone, as before."""
    content = np.asarray(content, dtype=np.float64)
    if weight <= 0:
        return content
    return standardise(content) + weight * standardise(pace)
