"""Self-supervised training of the audio encoder: two excerpts of one track are a positive pair.

Every batch holds two random excerpts of each of ``batch_tracks`` tracks; the other tracks' excerpts are
negatives, mined semi-hard (farther than the positive but within the margin; else the hardest), with a
triplet margin loss on cosine distance (Prétet et al. 2020). Runs on CUDA when present, else the CPU.

    python -m recommender.training.audio_triplets --audio DIR --out model.pt [--steps 600]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from recommender.device import get_device
from recommender.models import audio_encoder as enc
from recommender.seeding import deterministic
from recommender.training.loop import fit


@dataclass
class TrainConfig:
    steps: int = 600
    batch_tracks: int = 24
    excerpt_frames: int = 128  # ~3 s
    margin: float = 0.3
    lr: float = 2e-3
    seed: int = 0
    threads: int = 2  # torch intra-op threads, pinned so that results do not depend on the machine


def excerpt_pairs(mels: Sequence[np.ndarray], idx: np.ndarray, length: int, rng: np.random.Generator) -> np.ndarray:
    """Two excerpts per track, as far apart as the track allows: ``(2 * len(idx), n_mels, length)``."""
    out = np.zeros((2 * len(idx), mels[0].shape[0], length), dtype=np.float32)
    for k, i in enumerate(idx):
        mel = mels[i]
        span = max(0, mel.shape[1] - length)
        a = int(rng.integers(span + 1))
        b = int(rng.integers(span + 1))
        if span > 2 * length:  # keep the pair apart: another part of the same track
            while abs(a - b) < length:
                b = int(rng.integers(span + 1))
        for j, start in enumerate((a, b)):
            piece = mel[:, start : start + length]
            out[2 * k + j, :, : piece.shape[1]] = piece
    return out


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """SpecAugment-lite: a random gain, one frequency band and one time span masked per excerpt."""
    b, f, t = x.shape
    x = x * (0.7 + 0.6 * torch.rand(b, 1, 1, generator=gen))
    f0 = torch.randint(0, f - 8, (b,), generator=gen)
    t0 = torch.randint(0, t - 16, (b,), generator=gen)
    fi = torch.arange(f)[None, :]
    ti = torch.arange(t)[None, :]
    fmask = (fi >= f0[:, None]) & (fi < f0[:, None] + torch.randint(0, 8, (b, 1), generator=gen))
    tmask = (ti >= t0[:, None]) & (ti < t0[:, None] + torch.randint(0, 16, (b, 1), generator=gen))
    return x.masked_fill(fmask[:, :, None] | tmask[:, None, :], 0.0)


def triplet_loss(emb: torch.Tensor, margin: float) -> tuple[torch.Tensor, float]:
    """Semi-hard triplet loss over pairs (rows 2k, 2k+1 are one track). Returns (loss, fraction active)."""
    n = emb.shape[0]
    dist = 2 - 2 * emb @ emb.T  # squared Euclidean distance between unit vectors
    track = torch.arange(n, device=emb.device) // 2
    same = track[:, None] == track[None, :]
    pos = dist[torch.arange(n), torch.arange(n) ^ 1]  # partner: 2k <-> 2k+1
    neg = dist.masked_fill(same, float("inf"))
    semi = neg.masked_fill(neg <= pos[:, None], float("inf")).min(dim=1).values  # semi-hard: beyond the positive
    hardest = neg.min(dim=1).values
    chosen = torch.where(torch.isfinite(semi) & (semi < pos + margin), semi, hardest)
    losses = torch.relu(pos - chosen + margin)
    return losses.mean(), float((losses > 0).float().mean())


def train(
    mels: Sequence[np.ndarray],
    config: TrainConfig | None = None,
    *,
    progress: Callable[[float, str], None] | None = None,
    model: enc.AudioEncoder | None = None,
) -> tuple[enc.AudioEncoder, list[float]]:
    """Train on log-mels ``(N_MELS, frames)`` of at least two tracks; returns the model and the loss per step.

    Seeded and deterministic (:func:`recommender.seeding.deterministic`): the same config gives the same model.
    """
    cfg = config or TrainConfig()
    with deterministic(cfg.seed, threads=cfg.threads):
        return _train(mels, cfg, progress=progress, model=model)


def _train(
    mels: Sequence[np.ndarray],
    config: TrainConfig | None = None,
    *,
    progress: Callable[[float, str], None] | None = None,
    model: enc.AudioEncoder | None = None,
) -> tuple[enc.AudioEncoder, list[float]]:
    cfg = config or TrainConfig()
    if len(mels) < 2:
        raise ValueError("training needs at least two tracks")
    rng = np.random.default_rng(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    device = get_device()
    model = model or enc.AudioEncoder()
    sample = np.concatenate([m[:, :: max(1, m.shape[1] // 200)] for m in mels], axis=1)
    model.mel_mean.fill_(float(sample.mean()))
    model.mel_std.fill_(float(sample.std() + 1e-6))
    model.to(device)
    per_batch = min(cfg.batch_tracks, len(mels))

    def batch_loss() -> tuple[torch.Tensor, str]:
        idx = rng.choice(len(mels), size=per_batch, replace=False)
        x = augment(torch.from_numpy(excerpt_pairs(mels, idx, cfg.excerpt_frames, rng)), gen).to(device)
        loss, active = triplet_loss(model(x), cfg.margin)
        return loss, f"active {active:.2f}"

    losses = fit(model, batch_loss, steps=cfg.steps, lr=cfg.lr, progress=progress)
    return model, losses


@torch.no_grad()
def excerpt_retrieval(model: enc.AudioEncoder, mels: Sequence[np.ndarray], *, length: int = 256) -> dict[str, float]:
    """Query with one excerpt of each track among the other excerpts of all tracks: recall@1 and @5, and the
    mean reciprocal rank (which still moves when a small catalog's recall@1 does not).

    The query is taken from the first half of a track, its target from the second half.
    """
    device = next(model.parameters()).device
    firsts, seconds = [], []
    for mel in mels:
        half = mel.shape[1] // 2
        a = mel[:, max(0, half // 2 - length // 2) :][:, :length]
        b = mel[:, half + max(0, half // 2 - length // 2) :][:, :length]
        firsts.append(np.pad(a, ((0, 0), (0, length - a.shape[1]))))
        seconds.append(np.pad(b, ((0, 0), (0, length - b.shape[1]))))
    q = model(torch.from_numpy(np.stack(firsts)).to(device))
    k = model(torch.from_numpy(np.stack(seconds)).to(device))
    ranks = (q @ k.T).argsort(dim=1, descending=True).cpu().numpy()
    target = np.arange(len(mels))[:, None]
    return {
        "recall@1": float((ranks[:, :1] == target).any(1).mean()),
        "recall@5": float((ranks[:, :5] == target).any(1).mean()),
        "mrr": float((1.0 / (1 + np.argmax(ranks == target, axis=1))).mean()),
        "random@1": 1.0 / len(mels),
    }


def mels_from_files(paths: Sequence[Path], *, max_seconds: float = 600.0) -> list[np.ndarray]:
    from recommender.media import MediaError, load_audio

    mels = []
    for path in paths:
        try:
            mels.append(enc.log_mel(load_audio(path, sr=enc.SR, max_seconds=max_seconds)))
        except MediaError as exc:
            print(f"skipped: {exc}")
    return mels


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Train the audio similarity encoder (triplets, self-supervised).")
    parser.add_argument("--audio", type=Path, help="a folder of audio files (recursive)")
    parser.add_argument("--demo", type=int, default=0, help="train on N generated demo songs instead")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--steps", type=int, default=TrainConfig.steps)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.demo:
        from recommender.synth.music import make_song

        mels = [enc.log_mel(make_song(10_000 + i).audio) for i in range(args.demo)]
    else:
        suffixes = {".wav", ".flac", ".ogg", ".mp3", ".m4a", ".aac", ".opus", ".mp4", ".mkv", ".webm", ".mov"}
        mels = mels_from_files(sorted(p for p in args.audio.rglob("*") if p.suffix.lower() in suffixes))
    held_out = mels[-max(2, len(mels) // 5) :]
    model, losses = train(mels[: -len(held_out)], TrainConfig(steps=args.steps, seed=args.seed),
                          progress=lambda f, m: print(f"[{f:4.0%}] {m}", flush=True))  # fmt: skip
    scores = excerpt_retrieval(model, held_out)
    print(f"held-out excerpt retrieval ({len(held_out)} tracks): {scores}")
    meta = {"steps": args.steps, "seed": args.seed, "held_out": scores, "tracks": len(mels) - len(held_out)}
    enc.save(model, args.out, meta={**meta, "final_loss": float(np.mean(losses[-20:]))})


if __name__ == "__main__":
    main()
