"""Choosing the next loop: a candidate pool scored by the critic, Thompson sampling, no near-duplicates.

The rule, each step:
1. Pool: ``pool_size`` candidates, half from the prior and half mutations/crossovers of the liked loops
   (all from the prior until something is liked; skips count as neither).
2. Critic: the ensemble is retrained on this listener's ratings and scores every candidate.
3. Thompson sampling: one ensemble member is drawn at random and its best-scored candidate is chosen;
   members disagree where the critic is unsure, so this explores there and exploits elsewhere.
4. Candidates within ``min_distance`` hits of one of the last ``recent`` proposals are excluded.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch

from recommender.drums import features
from recommender.drums.critic import CriticConfig, EnsembleCritic
from recommender.drums.kit import Kit, synth_kit
from recommender.drums.patterns import crossover, hamming, mutate, sample_prior

LIKE, DISLIKE = 1.0, 0.0


@dataclass
class LearnerConfig:
    pool_size: int = 1000
    exploit_share: float = 0.5
    min_distance: int = 3
    recent: int = 10
    n_prior_anchors: int = 32
    selection: str = "thompson"  # or "ucb": mean + ucb_beta × std, or "mean"
    ucb_beta: float = 1.0
    mutation_rate: tuple[float, float] = (0.003, 0.03)  # per cell: ~0.4 to 4 toggled cells of 144
    critic: CriticConfig = field(default_factory=CriticConfig)


@dataclass
class Proposal:
    pattern: np.ndarray  # (I, S)
    p_like: float  # the ensemble's mean P(like)
    uncertainty: float  # the ensemble's standard deviation
    source: str  # "prior" or "variation"
    seconds: float  # time taken to choose it


def featurize(patterns: np.ndarray, atom_bank: np.ndarray) -> np.ndarray:
    """Critic input: the loop's log-mel, flattened, beside its velocity grid: ``(n, N_MELS*frames + I*S)``."""
    mel = features.log_mel(patterns, atom_bank).reshape(len(patterns), -1)
    return np.concatenate([mel, patterns.reshape(len(patterns), -1)], axis=1).astype(np.float32)


def candidate_pool(
    liked: np.ndarray, rng: np.random.Generator, cfg: LearnerConfig, n_steps: int
) -> tuple[np.ndarray, np.ndarray]:
    """``(pool (n, I, S), is_variation (n,))``."""
    n_var = int(cfg.pool_size * cfg.exploit_share) if len(liked) else 0
    prior = sample_prior(cfg.pool_size - n_var, rng, steps=n_steps)
    if not n_var:
        return prior, np.zeros(len(prior), dtype=bool)
    weights = np.linspace(0.5, 1.0, len(liked))  # recent likes a little more often
    weights /= weights.sum()
    parents = liked[rng.choice(len(liked), size=n_var, p=weights)]
    n_cross = n_var // 4 if len(liked) > 1 else 0
    others = liked[rng.choice(len(liked), size=n_cross)]
    children = np.concatenate([crossover(parents[:n_cross], others, rng), parents[n_cross:]])
    variations = mutate(children, rng, rate=rng.uniform(*cfg.mutation_rate, size=n_var))
    pool = np.concatenate([prior, variations])
    return pool, np.arange(len(pool)) >= len(prior)


def propose(
    rated: np.ndarray,
    labels: np.ndarray,
    recent: np.ndarray,
    *,
    rng: np.random.Generator,
    kit: Kit | None = None,
    tempo: float = 120.0,
    swing: float = 0.0,
    n_steps: int = 16,
    config: LearnerConfig | None = None,
) -> Proposal:
    """Choose the next loop for a listener.

    ``rated``: ``(n, I, S)`` loops rated like/dislike; ``labels``: ``(n,)`` 1.0 = like, 0.0 = dislike;
    ``recent``: ``(m, I, S)`` the latest proposals (rated or not), to avoid near-duplicates.
    """
    t0 = time.perf_counter()
    cfg = config or LearnerConfig()
    kit = kit or synth_kit(features.FEATURE_SR)
    rated = rated[-cfg.critic.max_history :]
    labels = np.asarray(labels, dtype=np.float32)[-cfg.critic.max_history :]
    liked = rated[labels > 0.5] if len(rated) else rated
    pool, is_var = candidate_pool(liked, rng, cfg, n_steps)
    if len(recent):
        far = hamming(pool, recent[-cfg.recent :]).min(axis=1) >= cfg.min_distance
        if far.any():
            pool, is_var = pool[far], is_var[far]
    atom_bank = features.atoms(kit, n_steps=n_steps, tempo=tempo, swing=swing)
    x_pool = featurize(pool, atom_bank)
    if len(rated) == 0:
        i = int(rng.integers(len(pool)))  # cold start: a draw from the prior
        return Proposal(pool[i], 0.5, 0.0, "prior", time.perf_counter() - t0)
    anchors = sample_prior(cfg.n_prior_anchors, rng, steps=n_steps)
    x_train = np.concatenate([featurize(rated, atom_bank), featurize(anchors, atom_bank)])
    y = np.concatenate([labels, np.full(len(anchors), 0.5, dtype=np.float32)])
    w = np.concatenate([np.ones(len(labels)), np.full(len(anchors), cfg.critic.prior_weight)])
    critic = EnsembleCritic(x_pool.shape[1], cfg.critic, seed=int(rng.integers(2**31)))
    critic.fit(x_train, y, w, reference=x_pool)
    probs = critic.predict(x_pool)  # (members, n)
    i = int(np.argmax(acquisition(probs, cfg, rng)))
    return Proposal(
        pool[i], float(probs[:, i].mean()), float(probs[:, i].std()),
        "variation" if is_var[i] else "prior", time.perf_counter() - t0,
    )  # fmt: skip


def acquisition(probs: np.ndarray, cfg: LearnerConfig, rng: np.random.Generator) -> np.ndarray:
    """Score per candidate from the ensemble's ``(members, n)`` P(like): the selection rule."""
    if cfg.selection == "thompson":
        return probs[int(rng.integers(probs.shape[0]))]
    if cfg.selection == "ucb":
        return probs.mean(0) + cfg.ucb_beta * probs.std(0)
    if cfg.selection == "mean":
        return probs.mean(0)
    raise ValueError(f"unknown selection rule {cfg.selection!r}")


def configure_torch(threads: int = 1) -> None:
    """Tiny models run fastest single-threaded, and a web process must not take every core."""
    torch.set_num_threads(threads)
