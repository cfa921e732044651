"""Simulated listeners for benchmarks and tests: tastes on the sound (rules over what a listener hears) and on the grid.

An :class:`AudioListener` gets only the rendered audio and the tempo; its taste is a conjunction of threshold rules
over the features of :mod:`recommender.drums.hearing` (which bands hit where, how dense, how syncopated, how loud
the low end, how bright, how dry). Besides four hand-written tastes, :func:`random_tastes` draws tastes from that
rule family and keeps those whose base rate under the prior lies in a band (1–30 % by default).
A :class:`Listener` judges the pattern grid itself (the studio's first benchmark, kept for comparison).
Both flip their answer with probability ``noise``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from recommender.drums.hearing import Heard, hear
from recommender.drums.patterns import CHH, HTOM, KICK, LTOM, OHH, SNARE

# --- tastes on the sound ---------------------------------------------------------------------------------------

RHYTHM = ("low_quarters", "low_off_quarters", "mid_backbeat", "mid_beat3", "high_offbeat8", "high_odd16")
TEXTURE = ("density", "syncopation", "mid_count", "high_count")
SOUND = ("low_db", "brightness", "sustain_db")  # depend on the kit's voices as much as on the pattern


@dataclass(frozen=True)
class Rule:
    """``feature >= threshold`` (``above``) or ``feature <= threshold``, on :meth:`Heard.scalars`."""

    feature: str
    threshold: float
    above: bool

    def holds(self, scalars: dict[str, float]) -> bool:
        value = scalars[self.feature]
        return value >= self.threshold if self.above else value <= self.threshold

    def __str__(self) -> str:
        return f"{self.feature} {'>=' if self.above else '<='} {self.threshold:g}"


@dataclass(frozen=True)
class AudioTaste:
    """Likes a loop when every rule holds on what is heard."""

    name: str
    rules: tuple[Rule, ...]
    family: str  # "hand", or for drawn tastes "rhythm" (where bands hit), "texture" (density, syncopation) or "sound"

    def likes(self, heard: Heard) -> bool:
        scalars = heard.scalars()
        return all(rule.holds(scalars) for rule in self.rules)

    def likes_scalars(self, scalars: dict[str, np.ndarray]) -> np.ndarray:
        """Vectorised over many loops: ``scalars[feature]`` is ``(n,)`` → ``(n,)`` bool."""
        out = np.ones(len(next(iter(scalars.values()))), dtype=bool)
        for r in self.rules:
            out &= scalars[r.feature] >= r.threshold if r.above else scalars[r.feature] <= r.threshold
        return out

    def __str__(self) -> str:
        return " and ".join(str(r) for r in self.rules)


def _taste(name: str, *rules: tuple[str, str, float]) -> AudioTaste:
    return AudioTaste(name, tuple(Rule(f, t, op == ">=") for f, op, t in rules), "hand")


AUDIO_TASTES: dict[str, AudioTaste] = {
    t.name: t
    for t in (
        # A house groove: a low hit on every beat (at most one more elsewhere), hats on all four off-beat 8ths.
        _taste("house_groove", ("low_quarters", ">=", 4), ("low_off_quarters", "<=", 1), ("high_offbeat8", ">=", 4)),
        # A sparse half-time: a mid hit (snare) on beat 3, none on 2 and 4, few hits in all.
        _taste("sparse_half_time", ("mid_beat3", ">=", 1), ("mid_backbeat", "<=", 0), ("density", "<=", 14)),
        # A busy, syncopated groove: many hits, low and mid hits mostly off the strong beats.
        _taste("busy_syncopated", ("density", ">=", 23), ("syncopation", ">=", 0.68)),
        # A dry backbeat with nothing bright: mid hits on 2 and 4, a dark spectrum, little ringing between hits.
        _taste("dry_backbeat", ("mid_backbeat", ">=", 2), ("brightness", "<=", 1000), ("sustain_db", "<=", -45)),
    )
}


def prior_scalars(heard: Sequence[Heard]) -> dict[str, np.ndarray]:
    """``{feature: (n,) values}`` over many heard loops (to draw thresholds and measure base rates)."""
    rows = [h.scalars() for h in heard]
    return {k: np.array([r[k] for r in rows], dtype=np.float64) for k in rows[0]}


def random_tastes(
    n: int,
    scalars: dict[str, np.ndarray],
    rng: np.random.Generator,
    *,
    base_rate: tuple[float, float] = (0.01, 0.30),
    n_rules: tuple[int, int] = (2, 3),
    max_tries: int = 10_000,
) -> list[AudioTaste]:
    """Draw ``n`` tastes, the families ``rhythm``, ``texture`` and ``sound`` in turn: conjunctions of ``n_rules``
    rules on distinct features (the first from the family's own features), each threshold a quantile (15th–85th)
    of the feature under the prior that 10–90 % of prior loops pass, kept when the taste's base rate under
    ``scalars`` is in ``base_rate``. Deterministic for a given ``rng``."""
    families = {"rhythm": (RHYTHM, RHYTHM), "texture": (TEXTURE, RHYTHM + TEXTURE), "sound": (SOUND, RHYTHM + TEXTURE)}
    tastes: list[AudioTaste] = []
    seen: set[str] = set()
    for attempt in range(max_tries):
        if len(tastes) == n:
            break
        family = list(families)[attempt % len(families)]  # the three families in turn
        first, rest = families[family]
        k = int(rng.integers(n_rules[0], n_rules[1] + 1))
        names = [str(rng.choice(first))]
        names += [str(f) for f in rng.choice([f for f in rest if f != names[0]], size=k - 1, replace=False)]
        rules = [_draw_rule(name, scalars[name], rng) for name in names]
        if any(r is None for r in rules):
            continue
        taste = AudioTaste(f"drawn_{len(tastes):02d}", tuple(rules), family)
        rate = float(taste.likes_scalars(scalars).mean())
        if base_rate[0] <= rate <= base_rate[1] and str(taste) not in seen:
            seen.add(str(taste))
            tastes.append(taste)
    return tastes


def _draw_rule(feature: str, values: np.ndarray, rng: np.random.Generator) -> Rule | None:
    """A threshold rule at a random prior quantile; None when it is (nearly) always or never true."""
    above = bool(rng.random() < 0.5)
    threshold = float(np.quantile(values, rng.uniform(0.15, 0.85)))
    if feature in SOUND or feature == "syncopation":
        threshold = round(threshold, 2)
    passing = float(np.mean(values >= threshold if above else values <= threshold))
    return Rule(feature, threshold, above) if 0.1 <= passing <= 0.9 else None


@dataclass
class AudioListener:
    """Rates what it hears: ``rate(audio, sr, tempo)``; ``noise`` flips the answer."""

    taste: AudioTaste
    noise: float
    rng: np.random.Generator

    def truth(self, audio: np.ndarray, sr: int, tempo: float) -> bool:
        return self.taste.likes(hear(audio, sr, tempo))

    def rate(self, audio: np.ndarray, sr: int, tempo: float) -> bool:
        liked = self.truth(audio, sr, tempo)
        return (not liked) if self.rng.random() < self.noise else liked


# --- tastes on the pattern grid (the first benchmark) -----------------------------------------------------------


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
    """Rates the pattern grid itself (not what it sounds like)."""

    taste: Callable[[np.ndarray], bool]
    noise: float
    rng: np.random.Generator

    def rate(self, pattern: np.ndarray) -> bool:
        liked = self.taste(pattern)
        return (not liked) if self.rng.random() < self.noise else liked


def base_rate(taste: Callable[[np.ndarray], bool], patterns: np.ndarray) -> float:
    """Share of ``patterns`` that a grid taste likes (noise-free)."""
    return float(np.mean([taste(p) for p in patterns]))
