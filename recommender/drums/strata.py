"""Exploring by strata of the prior: regions of equal prior mass in what is heard, one played loop at a time.

Before anything is credibly liked, the learner explores. Plain prior draws miss a taste of base rate ``p`` with
probability ``(1 - p)^n`` after ``n`` draws, and they keep returning to the prior's densest region. Here the prior
is cut into ``2^depth`` strata of equal prior mass — a balanced tree of median splits, each along the top
principal direction of its node's loops, in the standardised features a listener hears (onset counts per band and
metrical level, loudness, brightness, sustain, the kit) — and exploration plays a prior loop from a stratum that
few rated loops fell in (``rule="least"``) or from the stratum whose like-rate, drawn from its posterior, is
highest (``rule="beta"``: a dislike lowers its stratum's chance, allowing for answers slipped at rate ``flip``).
Stratified draws never lower the chance to hit a region of taste compared with i.i.d. draws of the same prior, and
they keep typical loops as likely as the prior makes them (unlike the farthest of several draws).
Shapes: features ``(n, d)`` float → strata ``(n,)`` int in ``[0, 2^depth)``.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from recommender.drums.patterns import sample_prior

GROUPS = ("summary", "metre", "kit")  # what is heard as a whole: counts per band and metrical level, sound


class Strata:
    """A balanced tree of median splits over ``z`` ``(n, d)`` (loops of the prior): ``2^depth`` equal-mass cells.

    ``assign(z (m, d))`` → ``(m,)`` stratum of each loop.
    """

    def __init__(self, z: np.ndarray, depth: int) -> None:
        self.depth = int(depth)
        n_nodes = 2**self.depth - 1
        d = z.shape[1]
        self.centre = np.zeros((n_nodes, d))
        self.direction = np.zeros((n_nodes, d))
        self.threshold = np.zeros(n_nodes)
        members = {0: np.arange(len(z))}
        for node in range(n_nodes):
            idx = members.pop(node)
            sub = z[idx] - z[idx].mean(0)
            direction = np.linalg.svd(sub, full_matrices=False)[2][0] if len(idx) > 1 else np.eye(d)[0]
            proj = sub @ direction
            self.centre[node], self.direction[node] = z[idx].mean(0), direction
            self.threshold[node] = np.median(proj)
            right = proj > self.threshold[node]
            members[2 * node + 1], members[2 * node + 2] = idx[~right], idx[right]

    @property
    def n(self) -> int:
        return 2**self.depth

    def assign(self, z: np.ndarray) -> np.ndarray:
        node = np.zeros(len(z), dtype=int)
        for _ in range(self.depth):
            proj = ((z - self.centre[node]) * self.direction[node]).sum(1)
            node = 2 * node + 1 + (proj > self.threshold[node])
        return node - (self.n - 1)


@lru_cache(maxsize=16)
def strata_for(ears, depth: int, n_ref: int = 2048) -> tuple[Strata, np.ndarray]:
    """The strata of one session setting's prior (built once, ~0.1 s) and the feature columns they read."""
    cols = np.flatnonzero(np.isin(ears.groups, GROUPS))
    ref = sample_prior(n_ref, np.random.default_rng(4321), steps=ears.banks[0].shape[1])
    kits = np.arange(n_ref) % len(ears.banks)
    return Strata(ears(ref, kits)[:, cols], depth), cols


def stratum_scores(
    strata: np.ndarray,
    labels: np.ndarray,
    n: int,
    rng: np.random.Generator,
    *,
    rule: str = "least",
    flip: float = 0.1,
    prior: tuple[float, float] = (0.5, 4.5),
) -> np.ndarray:
    """How much each stratum is worth exploring next, ``(n,)`` (higher first), from the strata ``(k,)`` of the
    rated loops and their labels ``(k,)`` (1 = like).

    ``"least"``: minus the number of rated loops in it. ``"beta"``: a draw of its like-rate ``q`` from its
    posterior (prior ``Beta(*prior)``; an answer is a like with probability ``flip + (1 - 2 flip) q``), on a
    grid of ``q``: an unrated stratum is drawn from the prior, a disliked one lower.
    """
    strata = np.asarray(strata, dtype=int)
    likes = np.bincount(strata, weights=np.asarray(labels, float) > 0.5, minlength=n)
    visits = np.bincount(strata, minlength=n).astype(float)
    if rule == "least":
        return -visits
    if rule != "beta":
        raise ValueError(f"unknown stratum rule {rule!r}")
    q = (np.arange(64) + 0.5) / 64
    p = flip + (1 - 2 * flip) * q
    log_post = (prior[0] - 1) * np.log(q) + (prior[1] - 1) * np.log1p(-q)
    log_post = log_post[None, :] + likes[:, None] * np.log(p) + (visits - likes)[:, None] * np.log1p(-p)
    post = np.exp(log_post - log_post.max(1, keepdims=True))
    cdf = np.cumsum(post, 1) / post.sum(1, keepdims=True)
    return q[np.minimum((cdf < rng.random((n, 1))).sum(1), len(q) - 1)]
