"""The Bayesian critic's ears: features of loops on a session's kits, from what a listener would hear.

Linear features (band-wise onsets on the 16th grid, their counts per metrical level, loudness, brightness,
sustain — :mod:`recommender.drums.bands` — beside the pattern grid and the kit), standardised on a fixed sample of
the prior, then random Fourier features of an RBF kernel on what is heard. Each column belongs to a group, and the
prior variance of the critic's weights is shared out per group (:meth:`Ears.prior_var`).
Shapes: patterns ``(n, I, S)``, kit indices ``(n,)`` → features ``(n, d)`` float32.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property, lru_cache

import numpy as np

from recommender.drums import bands
from recommender.drums.kit import Kit
from recommender.drums.patterns import sample_prior

RBF_GROUPS = ("heard", "summary", "kit")  # the columns the RBF kernel reads (the groups of :mod:`bands`, "kit")


class Ears:
    """The Bayesian critic's features for loops on any of a session's kits at one tempo and swing.

    ``__call__(patterns (n, I, S), kit_idx (n,))`` → ``(n, d)``: the linear features (what is heard, the grid,
    the kit), standardised on a fixed sample of the prior, then random Fourier features of an RBF kernel on
    what is heard (so that the critic can also be a smooth, local function: a Thompson draw of that part is
    high at random places, which explores the prior rather than its extremes). ``groups`` names each column's
    group, so that each group gets its share of the prior variance.
    """

    def __init__(
        self,
        kits: Sequence[Kit],
        n_steps: int,
        tempo: float,
        swing: float,
        rbf_features: int,
        rbf_scale: float,
        rbf_groups: tuple[str, ...] = RBF_GROUPS,
    ) -> None:
        self.banks = [bands.band_atoms(k, n_steps=n_steps, tempo=tempo, swing=swing) for k in kits]
        ref = sample_prior(256, np.random.default_rng(12345), steps=n_steps)
        ref_kits = np.arange(len(ref)) % len(kits)
        raw = self.raw(ref, ref_kits)
        self.mean, self.scale = raw.mean(0), raw.std(0) + 1e-3
        if len(kits) > 1:
            self.scale[-len(kits) :] = 1.0
        groups = bands.feature_groups(n_steps) + ["grid"] * self.n_grid + ["kit"] * self.n_kit
        self.smooth = np.flatnonzero(np.isin(groups, list(rbf_groups)))
        z = ((raw - self.mean) / self.scale)[:, self.smooth]
        dist = np.sqrt(((z[:128, None, :] - z[None, 128:, :]) ** 2).sum(-1))
        rng = np.random.default_rng(777)
        self.rff_w = rng.standard_normal((len(self.smooth), rbf_features)) / (rbf_scale * np.median(dist))
        self.rff_b = rng.uniform(0, 2 * np.pi, rbf_features)
        self.groups = np.array(groups + ["rbf"] * rbf_features)
        self._design_ref: tuple[np.ndarray, np.ndarray] | None = None  # sorted prior columns, prior loops

    def design(self, patterns: np.ndarray, kit_idx: np.ndarray) -> np.ndarray:
        """Where loops lie in the space an explorer should fill, ``(n, k)`` in [0, 1]: each per-band count per
        metrical level and each summary (loudness, brightness, sustain, density, syncopation) as its quantile
        under the prior, and the kit one-hot. Quantiles weigh every feature alike and keep a loop that is extreme
        on one feature from looking far from everything (standardised distances do: they lean to atypical loops)."""
        return self._design_of(self.raw(patterns, kit_idx), self._design_reference()[0])

    def design_reference(self) -> np.ndarray:
        """A fixed sample of 1024 prior loops in the design space, ``(1024, k)``: the prior's mass, for an
        explorer that weighs where loops are by how many there are."""
        return self._design_reference()[1]

    @cached_property
    def design_spread(self) -> float:
        """The median distance between two prior loops in the design space: the unit of an explorer's kernel."""
        q = self.design_reference()
        half = len(q) // 2
        return float(np.median(np.sqrt(((q[:half:4, None, :] - q[None, half:, :]) ** 2).sum(-1))))

    def _design_reference(self) -> tuple[np.ndarray, np.ndarray]:
        if self._design_ref is None:
            cols = np.flatnonzero(np.isin(self.groups, ["summary", "metre"]))
            ref = sample_prior(1024, np.random.default_rng(54321), steps=self.banks[0].shape[1])
            raw = self.raw(ref, np.arange(len(ref)) % len(self.banks))
            sorted_cols = np.sort(raw[:, cols], axis=0)
            self._design_ref = (sorted_cols, self._design_of(raw, sorted_cols))
        return self._design_ref

    def _design_of(self, raw: np.ndarray, ref: np.ndarray) -> np.ndarray:
        cols = np.flatnonzero(np.isin(self.groups, ["summary", "metre"]))
        q = np.stack([_mid_rank(ref[:, j], raw[:, cols[j]]) for j in range(len(cols))], axis=1)
        if self.n_kit:
            q = np.concatenate([q, raw[:, -self.n_kit :]], axis=1)
        return q.astype(np.float32)

    @property
    def n_grid(self) -> int:
        return int(np.prod(self.banks[0].shape[:2]))

    @property
    def n_kit(self) -> int:
        return len(self.banks) if len(self.banks) > 1 else 0

    def raw(self, patterns: np.ndarray, kit_idx: np.ndarray) -> np.ndarray:
        out = None
        for k, bank in enumerate(self.banks):
            sel = kit_idx == k
            if sel.any():
                f = bands.hearing_features(patterns[sel], bank)
                out = np.empty((len(patterns), f.shape[1]), np.float32) if out is None else out
                out[sel] = f
        parts = [out, (patterns > 0).reshape(len(patterns), -1).astype(np.float32)]
        if self.n_kit:
            parts.append(np.eye(self.n_kit, dtype=np.float32)[kit_idx])
        return np.concatenate(parts, axis=1)

    def __call__(self, patterns: np.ndarray, kit_idx: np.ndarray) -> np.ndarray:
        z = (self.raw(patterns, kit_idx) - self.mean) / self.scale
        rff = np.sqrt(2.0 / self.rff_b.size) * np.cos(z[:, self.smooth] @ self.rff_w + self.rff_b)
        return np.concatenate([z, rff], axis=1).astype(np.float32)

    def prior_var(self, linear: float, smooth: float, shares: dict[str, float] | None = None) -> np.ndarray:
        """Per-column prior variance: ``linear`` shared among the linear groups (in proportion to ``shares``,
        default 1 each), then equally among each group's columns; ``smooth`` for the RBF part (its random
        features are scaled so that this is its variance)."""
        names, counts = np.unique(self.groups[self.groups != "rbf"], return_counts=True)
        share = np.array([(shares or {}).get(str(g), 1.0) for g in names])
        per = dict(zip(names, linear * share / share.sum() / counts, strict=True))
        per["rbf"] = smooth
        return np.array([per[g] for g in self.groups])


def _mid_rank(sorted_ref: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The prior quantile of each value, ties at their middle (counts are discrete): ``(n,)`` in [0, 1]."""
    lo = np.searchsorted(sorted_ref, values - 1e-6, side="left")
    hi = np.searchsorted(sorted_ref, values + 1e-6, side="right")
    return (lo + hi) / (2.0 * len(sorted_ref))


# One :class:`Ears` per session setting (kits as a tuple, steps, tempo, swing, RBF settings), built once (~50 ms)
# and reused: the constructor itself, cached on its (hashable) arguments.
ears_for = lru_cache(maxsize=16)(Ears)
