"""Audio encoder: a CNN on log-mel with auto-pooling, trained with a triplet loss (Prétet et al. 2020).

The convolutional trunk turns a log-mel spectrogram into frame features once per track; auto-pooling
(McFee et al. 2018: a learned softmax over time per channel, between mean and max pooling) then turns
any span of frames into one vector, so the track vector and every section vector cost one trunk pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from recommender.models import checkpoint
from recommender.spectral import HOP, N_MELS, SR, log_mel  # noqa: F401 (log_mel: the model's input, here for callers)

TIME_STRIDE = 4  # trunk frames per input frame: 4 input frames (~93 ms) each
FRAME_SECONDS = HOP * TIME_STRIDE / SR


@dataclass
class EncoderConfig:
    n_mels: int = N_MELS
    channels: tuple[int, ...] = (16, 32, 64, 64)
    dim: int = 128
    bins: int = 1  # ordered time bins in the pooling (see AutoPool)


class AutoPool(nn.Module):
    """Softmax-weighted mean over time with a learned sharpness per channel (0: mean, large: max).

    With ``bins`` > 1 the (masked) span is cut into that many equal parts in time, each pooled on its own and
    concatenated ``(batch, channels * bins)``: the vector then keeps the order of what happens in the span
    (quiet then loud is not loud then quiet), which plain pooling throws away.
    """

    def __init__(self, channels: int, bins: int = 1) -> None:
        super().__init__()
        self.alpha = nn.Parameter(torch.ones(channels))
        self.bins = bins

    def _pool(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        logits = x * self.alpha[None, :, None]
        if mask is not None:
            logits = logits.masked_fill(~mask[:, None, :], float("-inf"))
        return (torch.softmax(logits, dim=-1) * x).sum(dim=-1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """``x`` ``(batch, channels, time)``; ``mask`` ``(batch, time)`` True where frames count."""
        if self.bins == 1:
            return self._pool(x, mask)
        if mask is None:
            mask = torch.ones(x.shape[0], x.shape[-1], dtype=torch.bool, device=x.device)
        position = mask.long().cumsum(-1) - 1
        count = mask.long().sum(-1, keepdim=True).clamp(min=1)
        which = position * self.bins // count
        parts = []
        for b in range(self.bins):
            part = mask & (which == b)
            part = torch.where(part.any(-1, keepdim=True), part, mask)  # a span shorter than the bins
            parts.append(self._pool(x, part))
        return torch.cat(parts, dim=1)


class AudioEncoder(nn.Module):
    def __init__(self, config: EncoderConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or EncoderConfig()
        layers: list[nn.Module] = []
        in_ch = 1
        pools = [(2, 2), (2, 2), (2, 1), (2, 1)]
        for out_ch, pool in zip(config.channels, pools, strict=True):
            layers += [nn.Conv2d(in_ch, out_ch, 3, padding=1), nn.BatchNorm2d(out_ch), nn.ReLU(), nn.MaxPool2d(pool)]
            in_ch = out_ch
        self.trunk = nn.Sequential(*layers)
        self.temporal = nn.Sequential(nn.Conv1d(in_ch, config.dim, 3, padding=1), nn.ReLU())
        self.pool = AutoPool(config.dim, config.bins)
        self.head = nn.Linear(config.dim * config.bins, config.dim)
        self.register_buffer("mel_mean", torch.zeros(1))
        self.register_buffer("mel_std", torch.ones(1))

    def frames(self, mel: torch.Tensor) -> torch.Tensor:
        """``(batch, n_mels, T)`` → frame features ``(batch, dim, T // 4)``."""
        x = ((mel - self.mel_mean) / self.mel_std).unsqueeze(1)
        x = self.trunk(x).mean(dim=2)  # collapse what is left of the frequency axis
        return self.temporal(x)

    def embed_frames(self, frames: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Pool frame features into L2-normalised vectors ``(batch, dim)``."""
        return nn.functional.normalize(self.head(self.pool(frames, mask)), dim=-1)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        return self.embed_frames(self.frames(mel))


def save(model: AudioEncoder, path: str | Path, *, meta: dict | None = None) -> None:
    checkpoint.save(model, model.config, path, meta=meta)


def load(path: str | Path, *, device: torch.device | str = "cpu") -> AudioEncoder:
    config, state, _ = checkpoint.read(path)
    model = AudioEncoder(EncoderConfig(**{**config, "channels": tuple(config["channels"])}))
    model.load_state_dict(state)
    return model.to(device).eval()


@torch.no_grad()
def embed_track(
    model: AudioEncoder, mel: np.ndarray, spans: list[tuple[float, float]], *, device: torch.device | str = "cpu"
) -> tuple[np.ndarray, np.ndarray]:
    """One trunk pass over a whole track; returns (track vector ``(dim,)``, span vectors ``(len(spans), dim)``).

    ``spans`` are (start, end) in seconds, e.g. the track's sections.
    """
    x = torch.from_numpy(mel).to(device)[None]
    frames = model.frames(x)  # (1, dim, F)
    n = frames.shape[-1]
    track = model.embed_frames(frames)[0]
    masks = torch.zeros(max(1, len(spans)), n, dtype=torch.bool, device=device)
    for i, (start, end) in enumerate(spans):
        a = min(n - 1, int(start / FRAME_SECONDS))
        b = max(a + 1, min(n, int(np.ceil(end / FRAME_SECONDS))))
        masks[i, a:b] = True
    if not spans:
        return track.cpu().numpy(), np.zeros((0, track.shape[0]), dtype=np.float32)
    span_vecs = model.embed_frames(frames.expand(len(spans), -1, -1), masks)
    return track.cpu().numpy(), span_vecs.cpu().numpy()
