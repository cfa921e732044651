"""One way to make a training run reproducible: seeds, deterministic kernels and a fixed thread count.

Float sums depend on how a reduction is split across threads and on which SIMD kernels the CPU offers, so a
model trained with 8 threads on one machine is not bit-identical to one trained with 2 on another. Every
trainer in Segue runs inside :func:`deterministic`: torch and numpy's legacy global state are seeded,
torch is asked for deterministic algorithms, and the number of intra-op threads is pinned (1 by default:
our models are small, so one thread is also the fastest). The caller's settings are restored afterwards,
so a web process that trains a tiny model keeps its own thread count.
"""

from __future__ import annotations

import contextlib
import os
import random
from collections.abc import Iterator

import numpy as np

SEED_ENV = "SEGUE_SEED"


def default_seed() -> int:
    """The seed when a caller gives none: ``SEGUE_SEED`` from the environment, else 0."""
    return int(os.environ.get(SEED_ENV, "0"))


@contextlib.contextmanager
def deterministic(seed: int | None = None, *, threads: int = 1) -> Iterator[int]:
    """Seed torch, numpy and ``random``; pin torch to ``threads`` and deterministic algorithms; yield the seed."""
    import torch

    seed = default_seed() if seed is None else int(seed)
    saved_threads = torch.get_num_threads()
    saved_det = torch.are_deterministic_algorithms_enabled()
    saved_rng = torch.random.get_rng_state()
    random.seed(seed)
    np.random.seed(seed % 2**32)  # legacy global state, for libraries that still use it
    torch.manual_seed(seed)
    torch.set_num_threads(max(1, int(threads)))
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        yield seed
    finally:
        torch.set_num_threads(saved_threads)
        torch.use_deterministic_algorithms(saved_det)
        torch.random.set_rng_state(saved_rng)
