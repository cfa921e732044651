"""The optimisation loop shared by Segue's trainers: AdamW with a one-cycle schedule, losses and progress."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import torch

Progress = Callable[[float, str], None]


def fit(
    model: torch.nn.Module,
    batch_loss: Callable[[], tuple[torch.Tensor, str]],
    *,
    steps: int,
    lr: float,
    progress: Progress | None = None,
) -> list[float]:
    """Run ``steps`` updates of ``batch_loss()`` → (loss, extra progress text); returns the loss per step."""
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.1)
    losses: list[float] = []
    t0 = time.monotonic()
    for step in range(steps):
        loss, note = batch_loss()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        losses.append(float(loss.detach()))
        if progress and (step % 10 == 0 or step == steps - 1):
            extra = f" {note}" if note else ""
            progress((step + 1) / steps, f"step {step + 1}/{steps} loss {np.mean(losses[-10:]):.3f}{extra} "
                     f"({time.monotonic() - t0:.0f} s)")  # fmt: skip
    model.eval()
    return losses
