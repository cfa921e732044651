"""Cuts and visual accents against the music's onsets and metre, at 25 ms, for every offset of every track.

Over a 30-s video, a track whose tempo differs by 1 % drifts a third of a second, so at the resolution of
an editor (one frame) only the true track keeps every cut on its beats and onsets; on a quarter-second grid
every track of a similar tempo does. Each term is a log-likelihood ratio in nats: a video event lands on
the music's events with probability ``PRIOR`` and anywhere otherwise, so at offset o

    term(o) = Σ_events log(1 - PRIOR + PRIOR · density(t_event + o))

where ``density`` is a music curve scaled to mean 1 around each moment (±8 s; flat: no evidence either way).
A cut on a rare, strong event (a section start, a hit) counts a lot, one on an ordinary beat a little, one
on nothing costs at most log(1 - PRIOR); unlike a sum of raw strengths, a steady beat grid that every track
of that tempo shares cannot outvote the rare events only the true track has. The curves:

* onset: the music's onsets (onset strength to the 4th power, so peaks count),
* metre: section starts, downbeats and beats (1, 0.7, 0.35).

A cut scores against one mixture of the two (an editor cuts on an onset *or* on the metre, weights
``onset`` and ``metre``); accents (flashes, motion hits) against the onsets, each weighted by its strength.
The onset and metre terms reported per track are the cuts' sums on each curve alone.

Each event adds a shifted copy of its log curve, so all offsets of 500 tracks cost a fraction of a second.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

FINE_HOP = 0.025  # seconds; 10 per coarse alignment frame (0.25 s)
PRIOR = 0.5  # chance that an editor's event was placed on the music
LOCAL = 320  # fine frames (±8 s): the neighbourhood a music curve is scaled against (a few bars)
POWER = 4.0  # onset strength is raised to this before scaling: the peaks an editor cuts on, not the texture
N_TERMS = 4  # cut_onset, cut_metre, accent, light
# The light's correlation r enters the score as signed evidence, EVIDENCE_SCALE × -1/2 log(1 - r^2)
# (``recommender.light.light_evidence``, which says why); kept here because the kernel applies it as it adds the term.
EVIDENCE_SCALE = 0.5 / (-0.5 * np.log(0.75))  # equal to r at r = 0.5
R_MAX = 0.995  # a correlation this close to 1 is as sure as it gets (the evidence stays finite)


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
    src = curve[shift : shift + n]  # a view indexed from 0: no negative-index check, so the loop vectorises
    for o in range(n):
        total[o] += weight * src[o]


@njit(cache=True, fastmath=True)
def _density(curve, power, half, out):  # pragma: no cover
    """``out = d = curve**power`` over its mean within ±``half`` frames: how much more likely than anywhere else.

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
        out[j] = powered[j] / mean if mean > 1e-9 else 1.0


def event_logs(onset: np.ndarray, metre: np.ndarray, *, back: int, ahead: int, prior: float = PRIOR,
               power: float = POWER, local: int = LOCAL, mix: float = 0.5) -> tuple[np.ndarray, ...]:  # fmt: skip
    """A track's log curves ``(log_onset, log_metre, log_cut)``, each ``(len(onset),)`` float32 nats per frame.

    ``log_cut`` is what a cut earns: an editor cuts on an onset *or* on the metre, so a cut's likelihood is
    one mixture, ``1 - prior + prior · (mix · d_onset + (1 - mix) · d_metre)``; a cut on a downbeat where the
    music has no attack is not also punished as a missed onset (as the sum of the two separate logs would).
    They depend on the track and on how precisely the video places its events (``back``/``ahead`` frames),
    not on the video itself, so a process computes them once per track and frame rate (``MusicSequence``
    keeps them) and a query only adds shifted copies.
    """
    onset = np.ascontiguousarray(onset, dtype=np.float32)
    metre = np.ascontiguousarray(metre, dtype=np.float32)
    return _event_logs(onset, metre, int(back), int(ahead), float(prior), float(power), int(local), float(mix))


@njit(cache=True, fastmath=True)
def _event_logs(onset, metre, back, ahead, prior, power, local, mix):  # pragma: no cover
    tm = len(onset)
    on = np.empty(tm, dtype=np.float32)
    me = np.empty(tm, dtype=np.float32)
    _dilate(onset, back, ahead, on)
    _dilate(metre, back, ahead, me)
    d_on = np.empty(tm, dtype=np.float32)
    d_me = np.empty(tm, dtype=np.float32)
    _density(on, power, local, d_on)
    _density(me, 1.0, local, d_me)
    log_on = np.empty(tm, dtype=np.float32)
    log_me = np.empty(tm, dtype=np.float32)
    log_cut = np.empty(tm, dtype=np.float32)
    for j in range(tm):
        log_on[j] = np.log(1.0 - prior + prior * d_on[j])
        log_me[j] = np.log(1.0 - prior + prior * d_me[j])
        log_cut[j] = np.log(1.0 - prior + prior * (mix * d_on[j] + (1.0 - mix) * d_me[j]))
    return log_on, log_me, log_cut


@njit(cache=True, fastmath=True)
def evidence(r):  # pragma: no cover
    """One correlation ``r`` as signed evidence (see ``EVIDENCE_SCALE``); 1 - r^2 >= 1 - R_MAX^2, so log is exact."""
    e = np.float32(-0.5 * EVIDENCE_SCALE) * np.log(np.float32(1.0) - min(r * r, np.float32(R_MAX * R_MAX)))
    return e if r >= 0 else -e


@njit(cache=True, parallel=True, fastmath=True)
def fine_kernel(log_on, log_me, log_cut, fptr, coarse, cptr, cut_idx, acc_idx, acc_w, n_video, w, ratio,
                light, lptr):  # pragma: no cover  # fmt: skip
    """Best fine offset per candidate of ``coarse[round(o / ratio)] + Σ w_k term_k(o)``.

    ``log_on``/``log_me``/``log_cut`` are the candidates' ``event_logs`` end to end (``fptr`` bounds). A cut
    adds the mixture curve weighted by ``onset + metre``, an accent the onset curve times its strength: one
    shifted add per event. The onset and metre terms reported are the separate curves' sums at the best offset.
    ``light`` holds each candidate's light correlation at every fine offset (``lptr`` bounds; none when empty,
    ``recommender.light``); its :func:`evidence` is added times ``w[3]``.

    Returns ``(n, 3 + N_TERMS)``: score, fine offset, the four terms (three in nats, the light's correlation)
    and the coarse score there.
    """
    n = len(fptr) - 1
    out = np.full((n, 3 + N_TERMS), -np.inf)
    w_on, w_me, w_acc, w_light = np.float32(w[0]), np.float32(w[1]), np.float32(w[2]), np.float32(w[3])
    for c in prange(n):
        a, tm = fptr[c], fptr[c + 1] - fptr[c]
        n_off = max(1, tm - n_video + 1)
        n_coarse = cptr[c + 1] - cptr[c]
        lo, lm, lc = log_on[a : a + tm], log_me[a : a + tm], log_cut[a : a + tm]  # views indexed from 0
        cut_curve = np.empty(tm, dtype=np.float32)
        acc_curve = np.empty(tm, dtype=np.float32)
        for j in range(tm):
            cut_curve[j] = (w_on + w_me) * lc[j]
            acc_curve[j] = w_acc * lo[j]
        total = np.zeros(n_off, dtype=np.float32)
        # an event past the end of a track shorter than the video lands on no music: it counts as much as
        # an event placed at random on this track (the curve's mean), neither for it nor against it
        short = tm < n_video  # only then can an event fall past the end
        cut_mean = np.float32(cut_curve.mean()) if short else np.float32(0.0)
        acc_mean = np.float32(acc_curve.mean()) if short else np.float32(0.0)
        for k in range(len(cut_idx)):
            if cut_idx[k] < tm:
                _add_shifted(total, cut_curve, cut_idx[k], np.float32(1.0))
            for o in range(max(0, tm - cut_idx[k]), n_off):
                total[o] += cut_mean
        for k in range(len(acc_idx)):
            if acc_idx[k] < tm:
                _add_shifted(total, acc_curve, acc_idx[k], np.float32(acc_w[k]))
            for o in range(max(0, tm - acc_idx[k]), n_off):
                total[o] += np.float32(acc_w[k]) * acc_mean
        n_light = min(n_off, lptr[c + 1] - lptr[c])
        lt = light[lptr[c] : lptr[c] + n_light]
        for o in range(n_light):
            total[o] += w_light * evidence(lt[o])
        cs = coarse[cptr[c] : cptr[c] + n_coarse]
        best, best_o, best_base = -np.inf, 0, 0.0
        for o in range(n_off):
            base = cs[min(n_coarse - 1, int(o / ratio + 0.5))] if n_coarse > 0 else 0.0
            score = base + total[o]
            if score > best:
                best, best_o, best_base = score, o, base
        terms = np.zeros(N_TERMS)
        for k in range(len(cut_idx)):
            if best_o + cut_idx[k] < tm:
                terms[0] += lo[best_o + cut_idx[k]]
                terms[1] += lm[best_o + cut_idx[k]]
        for k in range(len(acc_idx)):
            if best_o + acc_idx[k] < tm:
                terms[2] += acc_w[k] * lo[best_o + acc_idx[k]]
        if best_o < n_light:
            terms[3] = lt[best_o]
        out[c, 0] = best
        out[c, 1] = best_o
        for t in range(N_TERMS):
            out[c, 2 + t] = terms[t]
        out[c, 2 + N_TERMS] = best_base
    return out
