"""Checkpoint files: ``{"config": dict, "state": half-precision state dict, "meta": dict}``, written atomically."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import torch
from torch import nn


def save(model: nn.Module, config: object, path: str | Path, *, meta: dict | None = None) -> None:
    """Store weights as float16 (half the size; inference is unaffected) beside the config dataclass."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.half() if v.is_floating_point() else v for k, v in model.state_dict().items()}
    tmp = path.with_suffix(".tmp")
    torch.save({"config": asdict(config), "state": state, "meta": meta or {}}, tmp)
    tmp.replace(path)


def read(path: str | Path) -> tuple[dict, dict, dict]:
    """(config dict, float32 state dict, meta) of a checkpoint file."""
    blob = torch.load(Path(path), map_location="cpu", weights_only=True)
    state = {k: v.float() if v.is_floating_point() else v for k, v in blob["state"].items()}
    return blob["config"], state, blob.get("meta", {})
