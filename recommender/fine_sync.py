"""Cuts and visual accents against the music's onsets and metre, at 25 ms, for every offset of every track.

Over a 30-s video, a track whose tempo differs by 1 % drifts a third of a second, so at the resolution of
an editor (one frame) only the true track keeps every cut on its beats and onsets; on a quarter-second grid
every track of a similar tempo does. Three event terms are scored at each start offset on a ``FINE_HOP``
grid, each as a z-score against the same track's other offsets (how much this offset stands out):

* cut → onset: the music's onset strength (spectral flux, 0..1) at the video's exact cut frames,
* cut → metre: section starts, downbeats and beats (1, 0.7, 0.35) at the cut frames,
* accent → onset: flashes and motion accents, weighted by their strength, on the onset strength.

The kernel visits only the events (a few dozen), so all offsets of 500 tracks cost a fraction of a second.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

FINE_HOP = 0.025  # seconds; 10 per coarse alignment frame (0.25 s)
N_TERMS = 3  # cut_onset, cut_metre, accent


def onset_curve(duration: float, envelope, envelope_hop: float, *, hop: float = FINE_HOP) -> np.ndarray:
    """The onset envelope on the fine grid ``(ceil(duration / hop),)``, max-pooled so no peak is lost."""
    n = max(1, int(np.ceil(duration / hop - 1e-9)))
    env = np.asarray(envelope, dtype=np.float32)
    if env.size == 0 or envelope_hop <= 0:
        return np.zeros(n, dtype=np.float32)
    idx = np.minimum((np.arange(env.size) * envelope_hop / hop).astype(np.int64), n - 1)
    out = np.zeros(n, dtype=np.float32)
    np.maximum.at(out, idx, env)
    filled = np.zeros(n, dtype=bool)
    filled[idx] = True
    if not filled.all():  # the envelope is coarser than the grid: interpolate instead
        return np.interp(np.arange(n) * hop, np.arange(env.size) * envelope_hop, env).astype(np.float32)
    return out


def metre_curve(duration: float, *, beats=(), downbeats=(), section_starts=(), hop: float = FINE_HOP) -> np.ndarray:
    """Impulses on the fine grid: section start 1, downbeat 0.7, beat 0.35, each spread over ±1 frame (half)."""
    n = max(1, int(np.ceil(duration / hop - 1e-9)))
    out = np.zeros(n, dtype=np.float32)
    for times, strength in ((beats, 0.35), (downbeats, 0.7), (section_starts, 1.0)):
        idx = np.round(np.asarray(times, dtype=float) / hop).astype(np.int64)
        idx = idx[(idx >= 0) & (idx < n)]
        out[idx] = np.maximum(out[idx], strength)
    spread = np.maximum(np.r_[out[1:], 0], np.r_[0, out[:-1]]) * 0.5
    return np.maximum(out, spread)


@njit(cache=True, fastmath=True)
def _dilate(curve, back, ahead, out):  # pragma: no cover
    """``out[j] = max(curve[j - back : j + ahead + 1])``: a video event at j matches the music near it."""
    n = len(curve)
    for j in range(n):
        m = 0.0
        for i in range(max(0, j - back), min(n, j + ahead + 1)):
            if curve[i] > m:
                m = curve[i]
        out[j] = m


@njit(cache=True, fastmath=True)
def _add_shifted(total, curve, shift, weight):  # pragma: no cover
    """``total[o] += weight * curve[o + shift]`` for every offset o: contiguous, so it vectorises."""
    n = min(len(total), len(curve) - shift)
    for o in range(n):
        total[o] += weight * curve[o + shift]


@njit(cache=True, parallel=True, fastmath=True)
def fine_kernel(
    onset, metre, fptr, coarse, cptr, cut_idx, acc_idx, acc_w, n_video, w, ratio, back, ahead
):  # pragma: no cover
    """Best fine offset per candidate of ``coarse[round(o / ratio)] + Σ w_k z_k(o)``.

    A video event at fine frame j matches the music's strongest value in ``[j - back, j + ahead]``: a cut
    shows on the first frame after the beat, and compression can smear it over the next one. Each event adds
    a shifted copy of the dilated curve to its term, so the inner loops run over contiguous offsets.

    Returns ``(n, 3 + N_TERMS)``: score, fine offset, the three z-scores and the coarse score there.
    """
    n = len(fptr) - 1
    out = np.full((n, 3 + N_TERMS), -np.inf)
    for c in prange(n):
        a, tm = fptr[c], fptr[c + 1] - fptr[c]
        n_off = max(1, tm - n_video + 1)
        n_coarse = cptr[c + 1] - cptr[c]
        on = np.empty(tm, dtype=np.float32)
        me = np.empty(tm, dtype=np.float32)
        _dilate(onset[a : a + tm], back, ahead, on)
        _dilate(metre[a : a + tm], back, ahead, me)
        terms = np.zeros((N_TERMS, n_off), dtype=np.float32)
        for k in range(len(cut_idx)):
            if cut_idx[k] < tm:
                _add_shifted(terms[0], on, cut_idx[k], 1.0)
                _add_shifted(terms[1], me, cut_idx[k], 1.0)
        for k in range(len(acc_idx)):
            if acc_idx[k] < tm:
                _add_shifted(terms[2], on, acc_idx[k], acc_w[k])
        mean = np.zeros(N_TERMS)
        sd = np.ones(N_TERMS)
        for t in range(N_TERMS):
            m = 0.0
            for o in range(n_off):
                m += terms[t, o]
            m /= n_off
            v = 0.0
            for o in range(n_off):
                v += (terms[t, o] - m) ** 2
            v /= n_off
            mean[t] = m
            if v > 1e-12:
                sd[t] = np.sqrt(v)
        for o in range(n_off):
            oc = min(n_coarse - 1, int(o / ratio + 0.5))
            base = coarse[cptr[c] + oc] if n_coarse > 0 else 0.0
            score = base
            for t in range(N_TERMS):
                score += w[t] * (terms[t, o] - mean[t]) / sd[t]
            if score > out[c, 0]:
                out[c, 0] = score
                out[c, 1] = o
                for t in range(N_TERMS):
                    out[c, 2 + t] = (terms[t, o] - mean[t]) / sd[t]
                out[c, 2 + N_TERMS] = base
    return out
