"""Cuts and visual accents against the music's onsets and metre, at 25 ms, for every offset of every track.

Over a 30-s video, a track whose tempo differs by 1 % drifts a third of a second, so at the resolution of
an editor (one frame) only the true track keeps every cut on its beats and onsets; on a quarter-second grid
every track of a similar tempo does. Each term is a log-likelihood ratio in nats: a video event lands on
the music's events with probability ``PRIOR`` and anywhere otherwise, so at offset o

    term(o) = Σ_events log(1 - PRIOR + PRIOR · density(t_event + o))

where ``density`` is a music curve scaled to mean 1 around each moment (±8 s; flat: no evidence either way).
A cut on a rare, strong event (a section start, a hit) counts a lot, one on an ordinary beat a little, one
on nothing costs at most log(1 - PRIOR); unlike a sum of raw strengths, a steady beat grid that every track
of that tempo shares cannot outvote the rare events only the true track has. The three terms:

* onset: cuts on the music's onsets (onset strength to the 4th power, so peaks count),
* metre: cuts on section starts, downbeats and beats (1, 0.7, 0.35),
* accent: flashes and motion accents on onsets, each weighted by its strength.

Each event adds a shifted copy of its log curve, so all offsets of 500 tracks cost a fraction of a second.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

FINE_HOP = 0.025  # seconds; 10 per coarse alignment frame (0.25 s)
PRIOR = 0.5  # chance that an editor's event was placed on the music
LOCAL = 320  # fine frames (±8 s): the neighbourhood a music curve is scaled against (a few bars)
POWER = 4.0  # onset strength is raised to this before scaling: the peaks an editor cuts on, not the texture
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


@njit(cache=True, fastmath=True)
def _log_density(curve, power, prior, half, out):  # pragma: no cover
    """``out = log(1 - prior + prior * d)`` with ``d = curve**power`` over its mean within ±``half`` frames.

    The mean is local (a few bars), so what counts is being *on* an event rather than near loud, busy music:
    a track with a quiet intro and a dense climax would otherwise pull every video's events into its climax.
    Much narrower (±2 s) and every bar looks alike, so repeated material wins offsets (measured on set A of
    bench/real_media.py: median offset error of the first-ranked true track 6.7 s at ±2 s, 0.035 s at ±8 s).
    """
    n = len(curve)
    powered = np.empty(n, dtype=np.float32)
    for j in range(n):
        c = curve[j]
        powered[j] = c * c * c * c if power == 4.0 else (c if power == 1.0 else c**power)
    cum = np.zeros(n + 1)
    for j in range(n):
        cum[j + 1] = cum[j] + powered[j]
    for j in range(n):
        lo, hi = max(0, j - half), min(n, j + half + 1)
        mean = (cum[hi] - cum[lo]) / (hi - lo)
        dens = powered[j] / mean if mean > 1e-9 else 1.0
        out[j] = np.log(1.0 - prior + prior * dens)


@njit(cache=True, parallel=True, fastmath=True)
def fine_kernel(
    onset, metre, fptr, coarse, cptr, cut_idx, acc_idx, acc_w, n_video, w, ratio, back, ahead, prior, power
):  # pragma: no cover
    """Best fine offset per candidate of ``coarse[round(o / ratio)] + Σ w_k term_k(o)``.

    A video event at fine frame j matches the music's strongest value in ``[j - back, j + ahead]``: a cut
    shows on the first frame after the beat, and compression can smear it over the next one.

    Returns ``(n, 3 + N_TERMS)``: score, fine offset, the three terms (nats) and the coarse score there.
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
        log_on = np.empty(tm, dtype=np.float32)
        log_me = np.empty(tm, dtype=np.float32)
        _log_density(on, power, prior, LOCAL, log_on)
        _log_density(me, 1.0, prior, LOCAL, log_me)
        terms = np.zeros((N_TERMS, n_off), dtype=np.float32)
        for k in range(len(cut_idx)):
            if cut_idx[k] < tm:
                _add_shifted(terms[0], log_on, cut_idx[k], np.float32(1.0))
                _add_shifted(terms[1], log_me, cut_idx[k], np.float32(1.0))
        for k in range(len(acc_idx)):
            if acc_idx[k] < tm:
                _add_shifted(terms[2], log_on, acc_idx[k], np.float32(acc_w[k]))
        event = np.zeros(n_off)
        for o in range(n_off):
            for t in range(N_TERMS):
                event[o] += w[t] * terms[t, o]
        for o in range(n_off):
            oc = min(n_coarse - 1, int(o / ratio + 0.5))
            base = coarse[cptr[c] + oc] if n_coarse > 0 else 0.0
            score = base + event[o]
            if score > out[c, 0]:
                out[c, 0] = score
                out[c, 1] = o
                for t in range(N_TERMS):
                    out[c, 2 + t] = terms[t, o]
                out[c, 2 + N_TERMS] = base
    return out
