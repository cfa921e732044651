"""A fitted edit as the aligner sees it: the track's segments, bars, sections, loudness and onsets laid along a plan.

A plan (:func:`recommender.arrange.plan_edit`) plays pieces of the track one after another, so everything the
structure-aware ranking reads from a track has a place in the edit: a moment ``s`` of the track inside a piece
sounds at ``out_start + s - src_start`` (a repeated bar sounds twice, a skipped one never). Mapping the track's
analysis through the plan gives the fitted track's own sequence, scored against the video with the same
alignment function as any track (:func:`recommender.alignment.align`), so fitted and unfitted scores mean the same.
All times are seconds; curves keep their hop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from recommender.arrange import Plan

if TYPE_CHECKING:  # numba: imported by the function that builds a sequence, not by whoever plans
    from recommender.alignment import MusicSequence


def _pieces(plan: Plan) -> np.ndarray:
    """``(pieces, 3)``: src_start, src_end, out_start."""
    return np.array([(p.src_start, p.src_end, p.out_start) for p in plan.pieces], dtype=float).reshape(-1, 3)


def edit_times(plan: Plan, times) -> np.ndarray:
    """Where the track's moments ``times`` sound in the edit, sorted: once per piece that plays them."""
    t = np.asarray(times, dtype=float)
    out = [o + t[(t >= a - 1e-6) & (t < b - 1e-6)] - a for a, b, o in _pieces(plan)]
    return np.sort(np.concatenate(out)) if out else np.zeros(0)


def source_times(plan: Plan, times) -> np.ndarray:
    """The moment of the track heard at each edit time in ``times`` (the inverse of :func:`edit_times`)."""
    p = _pieces(plan)
    t = np.asarray(times, dtype=float)
    if len(p) == 0:
        return t.copy()
    k = np.clip(np.searchsorted(p[:, 2], t + 1e-9, side="right") - 1, 0, len(p) - 1)
    return p[k, 0] + t - p[k, 2]


def edit_spans(plan: Plan, spans) -> tuple[list[tuple[float, float]], np.ndarray]:
    """The track's ``spans`` [(start, end)] cut along the plan: edit spans in order and, for each, its span's index."""
    out, idx = [], []
    for a, b, o in _pieces(plan):
        for i, (s, e) in enumerate(spans):
            lo, hi = max(a, float(s)), min(b, float(e))
            if hi - lo > 1e-6:
                out.append((o + lo - a, o + hi - a))
                idx.append(i)
    return out, np.array(idx, dtype=np.int64)


def edit_curve(plan: Plan, values, hop: float, *, centred: bool = True) -> np.ndarray:
    """A curve of the track (one value per ``hop`` s) as the edit plays it, at the same hop for ``plan.target`` s.

    ``centred``: value k describes ``[k, k + 1)`` hops (energy); else the instant ``k * hop`` (an onset envelope).
    """
    v = np.asarray(values)
    n = max(1, int(np.ceil(plan.target / hop - 1e-9)))
    if v.size == 0 or hop <= 0:
        return np.zeros(n, dtype=v.dtype if v.size else float)
    half = 0.5 if centred else 0.0
    src = source_times(plan, (np.arange(n) + half) * hop)
    return v[np.clip(np.floor(src / hop - half + 0.5).astype(np.int64), 0, v.size - 1)]


def fitted_sequence(
    plan: Plan, *, spans, vectors: np.ndarray, downbeats=(), section_starts=(), energy=(), energy_hop: float = 0.5,
    beats=(), onset_envelope=None, onset_hop: float = 0.0, loudness=None,
) -> MusicSequence:  # fmt: skip
    """The alignment sequence of the track as ``plan`` edits it (``plan.target`` seconds long).

    Same inputs as :func:`recommender.alignment.music_sequence` for the whole track: segment ``spans`` with their
    ``vectors`` ``(len(spans), D)``, downbeats, section starts (after the first), energy (dB per ``energy_hop``),
    beats, the onset envelope and the frame ``loudness`` (dB; both per ``onset_hop``; the level is edited as the
    onsets are, so a fitted edit gets the light term too). A join is a downbeat of the edit; a section start heard
    after a join stays a section start.
    """
    from recommender.alignment import music_sequence

    out_spans, idx = edit_spans(plan, spans)
    vectors = np.asarray(vectors)
    sections = edit_times(plan, section_starts)
    onsets = level = None
    if onset_envelope is not None and onset_hop > 0:
        onsets = edit_curve(plan, onset_envelope, onset_hop, centred=False)
        if loudness is not None:  # each frame's level at its instant, as the onsets
            level = edit_curve(plan, loudness, onset_hop, centred=False)
    return music_sequence(
        plan.target, out_spans, vectors[idx] if len(idx) else vectors[:1], downbeats=edit_times(plan, downbeats),
        section_starts=sections[sections > 1e-6], energy=edit_curve(plan, energy, energy_hop), energy_hop=energy_hop,
        beats=edit_times(plan, beats), onset_envelope=onsets, onset_hop=onset_hop, loudness=level,
    )  # fmt: skip
