"""The critic: a small ensemble of neural networks on a loop's log-mel (plus its pattern grid).

It predicts P(like) for one listener from their ratings alone, retrained from scratch on every rating
(well under a second on a CPU). Its members are trained on bootstrap resamples from different
initialisations, so their disagreement is the uncertainty that drives exploration. A few loops from
the prior, labelled 0.5 with a small weight, keep it calm before the first ratings (cold start).
torch is imported when a critic is built, not with the module: a web process whose sessions use the default
(Bayesian) learner never loads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from recommender.seeding import deterministic

if TYPE_CHECKING:
    import torch


@dataclass
class CriticConfig:
    members: int = 8
    hidden: int = 24
    steps: int = 80
    lr: float = 0.03
    weight_decay: float = 1e-3
    prior_weight: float = 0.15  # weight of each 0.5-labelled prior loop
    max_history: int = 400  # the most recent ratings used for training


class EnsembleCritic:
    """``members`` two-layer networks evaluated as one batched computation."""

    def __init__(self, n_features: int, config: CriticConfig, seed: int) -> None:
        import torch

        self.cfg, self.seed = config, seed
        gen = torch.Generator().manual_seed(seed)
        e, h = config.members, config.hidden
        # All members' first layers side by side: one (F, members*hidden) matmul evaluates the ensemble.
        self.w1 = (torch.randn(n_features, e * h, generator=gen) / np.sqrt(n_features)).requires_grad_()
        self.b1 = torch.zeros(e * h, requires_grad=True)
        self.w2 = (torch.randn(e, h, generator=gen) / np.sqrt(h)).requires_grad_()
        self.b2 = torch.zeros(e, requires_grad=True)
        self.mean = torch.zeros(n_features)
        self.scale = torch.ones(n_features)
        self.gen = gen

    def params(self) -> list[torch.Tensor]:
        return [self.w1, self.b1, self.w2, self.b2]

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` ``(n, F)`` → logits ``(members, n)``."""
        import torch

        z = (x - self.mean) / self.scale
        hidden = torch.relu(z @ self.w1 + self.b1).view(len(x), self.cfg.members, self.cfg.hidden)
        return ((hidden * self.w2).sum(-1) + self.b2).T

    def fit(self, x: np.ndarray, y: np.ndarray, sample_weight: np.ndarray, reference: np.ndarray) -> None:
        """Train on features ``x`` ``(n, F)``, labels ``y`` in [0, 1]; ``reference`` sets the standardisation.

        One thread and deterministic kernels: the same ratings give the same critic on any CPU.
        """
        with deterministic(self.seed, threads=1):
            self._fit(x, y, sample_weight, reference)

    def _fit(self, x: np.ndarray, y: np.ndarray, sample_weight: np.ndarray, reference: np.ndarray) -> None:
        import torch

        ref = torch.from_numpy(reference)
        self.mean, self.scale = ref.mean(0), ref.std(0) + 1e-3
        xt, yt = torch.from_numpy(x), torch.from_numpy(y.astype(np.float32))
        # Bootstrap: every member sees its own Poisson(1) resample of the examples.
        boot = torch.poisson(torch.ones(self.cfg.members, len(y)), generator=self.gen)
        w = boot * torch.from_numpy(sample_weight.astype(np.float32))[None, :]
        w = w / w.sum(1, keepdim=True).clamp_min(1e-6)
        opt = torch.optim.Adam(self.params(), lr=self.cfg.lr, weight_decay=self.cfg.weight_decay)
        for _ in range(self.cfg.steps):
            opt.zero_grad()
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                self.logits(xt), yt.expand(self.cfg.members, -1), weight=w, reduction="sum"
            )
            loss.backward()
            opt.step()

    def predict(self, x: np.ndarray) -> np.ndarray:
        """P(like) per member, ``(members, n)``."""
        import torch

        with torch.no_grad():
            return torch.sigmoid(self.logits(torch.from_numpy(x))).numpy()
