"""A tiny deterministic torch computation, used to check that a worker's torch and device work."""

from __future__ import annotations

from recommender.device import get_device


def matmul_checksum(*, seed: int = 0, size: int = 64) -> tuple[float, str]:
    """Sum of ``A @ A.T`` for a seeded ``size``×``size`` matrix; returns (checksum, device name)."""
    import torch

    device = get_device()
    generator = torch.Generator().manual_seed(seed)
    a = torch.rand(size, size, generator=generator).to(device)
    return float((a @ a.T).sum().cpu()), device.type
