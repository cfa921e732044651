"""Where torch runs: CUDA when the host has it, the CPU otherwise (SEGUE_DEVICE overrides)."""

from __future__ import annotations

import os
from functools import lru_cache


@lru_cache(maxsize=1)
def device_name() -> str:
    """``"cuda"`` or ``"cpu"``; cached, since probing CUDA costs a few hundred ms."""
    forced = os.environ.get("SEGUE_DEVICE", "").strip().lower()
    if forced in ("cpu", "cuda"):
        return forced
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def get_device():
    """The ``torch.device`` for model work."""
    import torch

    return torch.device(device_name())
