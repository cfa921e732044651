"""How much each alignment term counts, fitted on music videos instead of set by hand.

A small learning-to-rank: the terms (content, coarse sync, energy, cuts on onsets, cuts on the metre,
accents on onsets) are blended linearly, and the blend is chosen by coordinate ascent on the mean
reciprocal rank of each training video's own music among all the training tracks, halved where the offset
is more than 0.25 s off (Metzler & Croft's coordinate ascent for linear ranking models). The alignment's
max over offsets makes the objective non-smooth, which rules out gradients but not this search. The
weights are saved beside the models as JSON with what they scored, so the app, the benchmarks and the docs
report the same numbers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, fields
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from recommender.alignment import DEFAULT_WEIGHTS, MusicSequence, VideoSequence, Weights, align
from recommender.evaluation import rank_of

TERMS = tuple(f.name for f in fields(Weights))
OFFSET_TOLERANCE = 0.25  # seconds


def ranks(
    weights: Weights, queries: Sequence[tuple[VideoSequence, int, float]], tracks: list[MusicSequence]
) -> tuple[np.ndarray, np.ndarray]:
    """Rank (1 = first) of each query's true track ``(n,)`` under ``weights``, and its offset error (s)."""
    out, errors = [], []
    for video, truth, offset in queries:
        found = align(video, tracks, weights=weights, paths=0)
        out.append(rank_of(np.array([a.score for a in found]), truth))
        errors.append(abs(found[truth].offset - offset))
    return np.array(out), np.array(errors)


def objective(r: np.ndarray, errors: np.ndarray, *, tolerance: float = OFFSET_TOLERANCE) -> float:
    """Mean reciprocal rank, where a true track placed at the wrong offset earns half: an editor needs both."""
    return float(np.mean(np.where(errors <= tolerance, 1.0, 0.5) / r)) if len(r) else 0.0


def fit_weights(
    queries: Sequence[tuple[VideoSequence, int, float]], tracks: list[MusicSequence], *, start: Weights | None = None,
    rounds: int = 3, factors: Sequence[float] = (0.5, 2.0), log: Callable[[str], None] = print,
) -> tuple[Weights, dict]:  # fmt: skip
    """Coordinate ascent from ``start``: each term in turn is scaled by each of ``factors``, keeping any change
    that raises the objective. A term is never dropped outright (a factor of 0 may be given): the training
    clips cannot show every kind of evidence (generated songs barely change in loudness, so the energy term
    would go, and with it what places an excerpt of repeated material), and a term at zero cannot come back."""
    w = asdict(start or DEFAULT_WEIGHTS)
    best = objective(*ranks(Weights(**w), queries, tracks))
    log(f"start: objective {best:.3f} {w}")
    for r in range(rounds):
        improved = False
        for term in TERMS:
            others = [v for k, v in w.items() if k != term and v > 0]
            for f in factors:
                trial = dict(w)
                trial[term] = w[term] * f if w[term] > 0 else (float(np.mean(others)) if f > 1 and others else 0.0)
                if trial[term] == w[term]:
                    continue
                score = objective(*ranks(Weights(**trial), queries, tracks))
                if score > best + 1e-4:
                    best, w, improved = score, trial, True
                    log(f"round {r + 1}: {term} → {trial[term]:.3g}: objective {best:.3f}")
        if not improved:
            break
    total = sum(w.values()) or 1.0
    fitted = Weights(**{k: round(v / total, 4) for k, v in w.items()})
    final, errors = ranks(fitted, queries, tracks)
    report = {"objective": round(objective(final, errors), 4), "mrr": round(float(np.mean(1.0 / final)), 4),
              "recall@1": float((final <= 1).mean()), "recall@10": float((final <= 10).mean()),
              "offset_within_0.25s_when_first": float((errors[final <= 1] <= OFFSET_TOLERANCE).mean()),
              "queries": len(queries), "tracks": len(tracks)}  # fmt: skip
    return fitted, report


def save_weights(path: str | Path, weights: Weights, report: dict, *, source: str) -> None:
    data = {"weights": asdict(weights), "fitted_on": source, "report": report,
            "date": datetime.now(UTC).strftime("%Y-%m-%d")}  # fmt: skip
    Path(path).write_text(json.dumps(data, indent=2) + "\n")
