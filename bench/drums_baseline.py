"""A DeepDrummer-style baseline for the drum-studio benchmark (Alain et al. 2020), kept beside the benchmark.

Random proposals from the prior; one small CNN critic on the loop's audio (its log-mel, 20 bands × 16
step-synchronous frames), retrained from scratch after each rating on all ratings so far; greedy choice
(the candidate the critic likes most). No search around liked loops, no measure of doubt.
"""

from __future__ import annotations

import numpy as np
import torch

from recommender.drums import features
from recommender.drums.kit import Kit
from recommender.drums.patterns import sample_prior
from recommender.seeding import deterministic


class CnnCritic(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = torch.nn.Sequential(
            torch.nn.Conv2d(1, 8, 3, padding=1),
            torch.nn.ReLU(),
            torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(8, 16, 3, padding=1),
            torch.nn.ReLU(),
            torch.nn.AdaptiveAvgPool2d((2, 2)),
            torch.nn.Flatten(),
            torch.nn.Linear(64, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x[:, None]).squeeze(1)


def propose_deepdrummer(
    rated: np.ndarray,
    labels: np.ndarray,
    *,
    rng: np.random.Generator,
    kit: Kit,
    tempo: float = 120.0,
    pool_size: int = 1000,
    steps: int = 60,
) -> np.ndarray:
    """The next loop ``(I, S)``: the prior candidate that a CNN retrained on ``rated``/``labels`` scores highest."""
    pool = sample_prior(pool_size, rng)
    if len(rated) == 0 or len(set(labels.tolist())) < 2:
        return pool[0]  # nothing to learn from yet (one class only): a random loop
    atoms = features.atoms(kit, tempo=tempo)
    x_pool = torch.from_numpy(features.log_mel(pool, atoms))
    x = torch.from_numpy(features.log_mel(rated, atoms))
    mean, std = x_pool.mean(), x_pool.std()
    y = torch.from_numpy(np.asarray(labels, dtype=np.float32))
    with deterministic(int(rng.integers(2**31)), threads=1):
        critic = CnnCritic()
        opt = torch.optim.Adam(critic.parameters(), lr=0.01)
        for _ in range(steps):
            opt.zero_grad()
            loss = torch.nn.functional.binary_cross_entropy_with_logits(critic((x - mean) / std), y)
            loss.backward()
            opt.step()
        with torch.no_grad():
            scores = critic((x_pool - mean) / std).numpy()
    return pool[int(np.argmax(scores))]
