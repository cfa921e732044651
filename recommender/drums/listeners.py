"""Simulated listeners with scripted tastes over patterns, for benchmarks and tests.

Each taste is a rule on the hit grid; a listener answers it with ``noise`` probability of flipping.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from recommender.drums.patterns import CHH, HTOM, KICK, LTOM, OHH, SNARE


def four_on_the_floor(p: np.ndarray) -> bool:
    """Kick on every beat and a hat on at least three of the four off-beat 8ths."""
    hits = p > 0
    hats = hits[CHH] | hits[OHH]
    return bool(hits[KICK, [0, 4, 8, 12]].all() and hats[[2, 6, 10, 14]].sum() >= 3)


def half_time_sparse(p: np.ndarray) -> bool:
    """Snare (loud) on beat 3 only, not on 2 and 4; twelve hits or fewer."""
    loud = p > 0.5
    return bool(loud[SNARE, 8] and not loud[SNARE, 4] and not loud[SNARE, 12] and (p > 0).sum() <= 12)


def busy_breakbeat(p: np.ndarray) -> bool:
    """Backbeat snare, a syncopated kick (off the quarter notes) and twenty or more hits."""
    hits = p > 0
    off_quarter = np.ones(p.shape[1], dtype=bool)
    off_quarter[::4] = False
    return bool(hits[SNARE, [4, 12]].all() and hits[KICK, off_quarter].any() and hits.sum() >= 20)


def heavy_toms(p: np.ndarray) -> bool:
    """Four or more tom hits."""
    return bool((p[[LTOM, HTOM]] > 0).sum() >= 4)


TASTES: dict[str, Callable[[np.ndarray], bool]] = {
    "four_on_the_floor": four_on_the_floor,
    "half_time_sparse": half_time_sparse,
    "busy_breakbeat": busy_breakbeat,
    "heavy_toms": heavy_toms,
}


@dataclass
class Listener:
    taste: Callable[[np.ndarray], bool]
    noise: float
    rng: np.random.Generator

    def rate(self, pattern: np.ndarray) -> bool:
        liked = self.taste(pattern)
        return (not liked) if self.rng.random() < self.noise else liked


def base_rate(taste: Callable[[np.ndarray], bool], patterns: np.ndarray) -> float:
    """Share of ``patterns`` that the taste likes (noise-free)."""
    return float(np.mean([taste(p) for p in patterns]))
