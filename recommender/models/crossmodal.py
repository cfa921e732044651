"""Cross-modal music–video model: a video branch and an audio branch projecting into one unit-norm space.

Video branch: per-frame visual features (``recommender.video``) → two 1-D convolutions over time →
auto-pooling → projection. Audio branch: the log-mel CNN with auto-pooling of ``audio_encoder`` (its own
weights, initialised from the audio-similarity checkpoint). Both pool any span of frames, so clip vectors
and segment (shot / section) vectors come from the same networks (Prétet, Richard, Peeters 2020, 2021).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from recommender.models import checkpoint
from recommender.models.audio_encoder import AudioEncoder, AutoPool, EncoderConfig
from recommender.video import N_FEATURES, SAMPLE_FPS


@dataclass
class CrossModalConfig:
    dim: int = 128
    video_hidden: int = 64
    n_video_features: int = N_FEATURES
    video_fps: float = SAMPLE_FPS
    bins: int = 1  # ordered time bins in both branches' pooling (see AutoPool)


class VideoBranch(nn.Module):
    def __init__(self, config: CrossModalConfig) -> None:
        super().__init__()
        h = config.video_hidden
        self.net = nn.Sequential(
            nn.Conv1d(config.n_video_features, h, 3, padding=1), nn.ReLU(),
            nn.Conv1d(h, 2 * h, 3, padding=1), nn.ReLU(),
        )  # fmt: skip
        self.pool = AutoPool(2 * h, config.bins)
        self.head = nn.Linear(2 * h * config.bins, config.dim)
        self.register_buffer("feat_mean", torch.zeros(config.n_video_features))
        self.register_buffer("feat_std", torch.ones(config.n_video_features))

    def forward(self, feats: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """``feats`` ``(batch, n_features, frames)`` → unit vectors ``(batch, dim)``."""
        x = (feats - self.feat_mean[None, :, None]) / self.feat_std[None, :, None]
        return nn.functional.normalize(self.head(self.pool(self.net(x), mask)), dim=-1)


class CrossModal(nn.Module):
    def __init__(self, config: CrossModalConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or CrossModalConfig()
        self.video = VideoBranch(config)
        self.audio = AudioEncoder(EncoderConfig(dim=config.dim, bins=config.bins))

    def embed_video(self, feats: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        return self.video(feats, mask)

    def embed_audio(self, mel: torch.Tensor) -> torch.Tensor:
        return self.audio(mel)


def save(model: CrossModal, path: str | Path, *, meta: dict | None = None) -> None:
    checkpoint.save(model, model.config, path, meta=meta)


def load(path: str | Path, *, device: torch.device | str = "cpu") -> CrossModal:
    config, state, _ = checkpoint.read(path)
    model = CrossModal(CrossModalConfig(**config))
    model.load_state_dict(state)
    return model.to(device).eval()


@torch.no_grad()
def embed_video_spans(
    model: CrossModal, feats: np.ndarray, spans: list[tuple[float, float]] | None = None, *, device="cpu"
) -> tuple[np.ndarray, np.ndarray]:
    """Clip vector ``(dim,)`` and one vector per (start, end) span in seconds, from frame features ``(n, F)``."""
    x = torch.from_numpy(np.ascontiguousarray(feats.T, dtype=np.float32)).to(device)[None]
    clip = model.embed_video(x)[0].cpu().numpy()
    if not spans:
        return clip, np.zeros((0, clip.shape[0]), dtype=np.float32)
    n = x.shape[-1]
    fps = model.config.video_fps
    masks = torch.zeros(len(spans), n, dtype=torch.bool, device=device)
    for i, (start, end) in enumerate(spans):
        a = min(n - 1, int(start * fps))
        masks[i, a : max(a + 1, min(n, int(np.ceil(end * fps))))] = True
    return clip, model.embed_video(x.expand(len(spans), -1, -1), masks).cpu().numpy()
