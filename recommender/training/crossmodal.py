"""Self-supervised cross-modal training on music videos: the picture and the sound of one clip are a pair.

Each batch takes an aligned window (3–8 s, so both clip- and segment-level pairs) from each of ``batch``
clips; the other clips' audio are negatives for a picture and vice versa. Loss: triplet margin with
semi-hard mining (hardest when none is semi-hard), or InfoNCE. CUDA when present, else the CPU.

    python -m recommender.training.crossmodal --videos DIR --out model.pt [--eval DIR] [--steps 800]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from recommender.device import get_device
from recommender.media import MediaError, load_audio
from recommender.models import audio_encoder as enc
from recommender.models import crossmodal as cm
from recommender.seeding import deterministic
from recommender.training.loop import fit
from recommender.video import FEATURE_NAMES, HUE_BINS, SAMPLE_FPS, decode_frames, frame_features

VIDEO_SUFFIXES = {".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v"}
MEL_FPS = enc.SR / enc.HOP
# Ordered time bins in both branches' pooling: 1 (plain pooling) reaches clip-level R@10 0.11, 2 → 0.27,
# 4 → 0.575, 8 → 0.625 on the held-out generated clips (docs/benchmarks.md); 4 keeps a few frames per bin
# in a 2-s shot or segment.
DEFAULT_BINS = 4
SPEEDS = (0.8, 1.25)  # playback speeds of augmented windows
_F = {name: i for i, name in enumerate(FEATURE_NAMES)}


@dataclass
class Clip:
    name: str
    feats: np.ndarray  # (video frames, N_FEATURES) at SAMPLE_FPS
    mel: np.ndarray  # (N_MELS, audio frames)


@dataclass
class CrossTrainConfig:
    steps: int = 800
    batch: int = 32
    min_window: float = 3.0  # seconds
    max_window: float = 8.0
    margin: float = 0.3
    loss: str = "triplet"  # or "infonce"
    temperature: float = 0.07
    lr: float = 1e-3
    seed: int = 0
    threads: int = 2  # torch intra-op threads, pinned so that results do not depend on the machine
    augment: bool = False  # speed and colour changes of every window (``windows``)


def load_clip(path: str | Path) -> Clip:
    """Visual features and log-mel of a music video; MediaError when it lacks audio or frames."""
    path = Path(path)
    frames = decode_frames(path)
    if not frames.has_audio:
        raise MediaError(f"{path.name}: has no audio track, so it cannot be used for training")
    if len(frames.images) < 4:
        raise MediaError(f"{path.name}: has too few video frames ({len(frames.images)}) for training")
    return Clip(path.name, frame_features(frames.images), enc.log_mel(load_audio(path, sr=enc.SR)))


def load_corpus(folder: str | Path, *, log: Callable[[str], None] = print) -> list[Clip]:
    clips = []
    for path in sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in VIDEO_SUFFIXES):
        try:
            clips.append(load_clip(path))
        except MediaError as exc:
            log(f"skipped: {exc}")
    return clips


def windows(clips: Sequence[Clip], idx: np.ndarray, seconds: float, rng: np.random.Generator, *,
            augment: bool = False):  # fmt: skip
    """Aligned windows: video ``(B, F, Tv)`` and audio ``(B, N_MELS, Ta)`` tensors.

    With ``augment``, each window is played at another speed (both modalities, :data:`SPEEDS`) and its colours are
    changed (:func:`recolour`): what a picture's colours and a clip's tempo happen to be should not be learned as
    what fits the music, since on real footage they mostly are not.
    """
    tv, ta = int(round(seconds * SAMPLE_FPS)), int(round(seconds * MEL_FPS))
    v = np.zeros((len(idx), clips[0].feats.shape[1], tv), dtype=np.float32)
    a = np.zeros((len(idx), clips[0].mel.shape[0], ta), dtype=np.float32)
    for k, i in enumerate(idx):
        clip = clips[i]
        speed = float(np.exp(rng.uniform(*np.log(SPEEDS)))) if augment else 1.0
        span = seconds * speed  # seconds of the source played in ``seconds``
        length = min(len(clip.feats) / SAMPLE_FPS, clip.mel.shape[1] / MEL_FPS)
        start = float(rng.uniform(0, max(0.0, length - span)))
        fv = _stretch(clip.feats, start * SAMPLE_FPS, tv, speed).T
        fa = _stretch(clip.mel.T, start * MEL_FPS, ta, speed).T
        if augment:
            fv = recolour(fv.T, rng).T
        v[k, :, : fv.shape[1]] = fv
        a[k, :, : fa.shape[1]] = fa
    return torch.from_numpy(v), torch.from_numpy(a)


def _stretch(x: np.ndarray, first: float, n: int, speed: float) -> np.ndarray:
    """Rows ``first, first + speed, …`` of ``x`` ``(T, C)`` (at most ``n``, linear interpolation; as stored when
    ``speed`` is 1)."""
    if speed == 1.0:
        return x[int(first) :][:n]
    pos = first + speed * np.arange(n)
    pos = pos[pos <= len(x) - 1]
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, len(x) - 1)
    frac = (pos - lo)[:, None].astype(np.float32)
    return x[lo] * (1 - frac) + x[hi] * frac


def recolour(feats: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Frame features ``(T, N_FEATURES)`` of the same footage with its hues turned by a whole number of bins and
    its brightness and saturation scaled (one change for the whole window, as a grade would)."""
    out = feats.copy()
    turn = int(rng.integers(HUE_BINS))
    out[:, :HUE_BINS] = np.roll(feats[:, :HUE_BINS], turn, axis=1)
    angle = 2 * np.pi * turn / HUE_BINS
    cos, sin = feats[:, _F["hue_cos"]], feats[:, _F["hue_sin"]]
    out[:, _F["hue_cos"]] = cos * np.cos(angle) - sin * np.sin(angle)
    out[:, _F["hue_sin"]] = sin * np.cos(angle) + cos * np.sin(angle)
    for name, (low, high) in {"brightness": (0.7, 1.3), "saturation": (0.6, 1.4)}.items():
        gain = float(rng.uniform(low, high))
        out[:, _F[name]] = np.clip(feats[:, _F[name]] * gain, 0.0, 1.0)
        out[:, _F[f"{name}_std"]] = feats[:, _F[f"{name}_std"]] * gain
    return out


def cross_loss(v: torch.Tensor, a: torch.Tensor, cfg: CrossTrainConfig) -> torch.Tensor:
    """Symmetric loss for aligned unit vectors ``v``, ``a`` ``(B, D)``; row i of each is a positive pair."""
    sim = v @ a.T
    if cfg.loss == "infonce":
        target = torch.arange(len(v), device=v.device)
        logits = sim / cfg.temperature
        return 0.5 * (
            torch.nn.functional.cross_entropy(logits, target) + torch.nn.functional.cross_entropy(logits.T, target)
        )
    dist = 2 - 2 * sim
    total = 0.0
    for d in (dist, dist.T):  # picture → sound, and sound → picture
        pos = d.diagonal()
        neg = d + torch.diag(torch.full_like(pos, float("inf")))
        semi = neg.masked_fill(neg <= pos[:, None], float("inf")).min(dim=1).values
        hardest = neg.min(dim=1).values
        chosen = torch.where(torch.isfinite(semi) & (semi < pos + cfg.margin), semi, hardest)
        total = total + torch.relu(pos - chosen + cfg.margin).mean()
    return total / 2


def train(
    clips: Sequence[Clip], config: CrossTrainConfig | None = None, *, audio_init: str | Path | None = None,
    progress: Callable[[float, str], None] | None = None, model_config: cm.CrossModalConfig | None = None,
    init: str | Path | None = None,
) -> tuple[cm.CrossModal, list[float]]:  # fmt: skip
    """Train the two-branch model on clips; seeded and deterministic, so one config gives one model.

    With ``init`` (a cross-modal checkpoint) training continues from that model, its normalisation included:
    a user's own music videos refine the shipped model instead of replacing it.
    """
    cfg = config or CrossTrainConfig()
    with deterministic(cfg.seed, threads=cfg.threads):
        return _train(clips, cfg, audio_init=audio_init, progress=progress, model_config=model_config, init=init)


def _train(
    clips: Sequence[Clip], config: CrossTrainConfig | None = None, *, audio_init: str | Path | None = None,
    progress: Callable[[float, str], None] | None = None, model_config: cm.CrossModalConfig | None = None,
    init: str | Path | None = None,
) -> tuple[cm.CrossModal, list[float]]:  # fmt: skip
    cfg = config or CrossTrainConfig()
    if len(clips) < 2:
        raise ValueError("training needs at least two clips")
    rng = np.random.default_rng(cfg.seed)
    device = get_device()
    if init:  # continue from the checkpoint as it is, its normalisation included
        model = cm.load(init, device="cpu")
    else:
        model = cm.CrossModal(model_config)
        _initialise(model, clips, audio_init)
    model.to(device)
    batch = min(cfg.batch, len(clips))

    def batch_loss() -> tuple[torch.Tensor, str]:
        idx = rng.choice(len(clips), size=batch, replace=False)
        v, a = windows(clips, idx, float(rng.uniform(cfg.min_window, cfg.max_window)), rng, augment=cfg.augment)
        return cross_loss(model.embed_video(v.to(device)), model.embed_audio(a.to(device)), cfg), ""

    losses = fit(model, batch_loss, steps=cfg.steps, lr=cfg.lr, progress=progress)
    return model, losses


def _initialise(model: cm.CrossModal, clips: Sequence[Clip], audio_init: str | Path | None) -> None:
    """A fresh model: the audio-similarity trunk where it fits (not a head of other shape), and the input
    normalisation measured on the clips."""
    if audio_init and Path(audio_init).exists():
        own = model.audio.state_dict()
        state = {k: v for k, v in enc.load(audio_init).state_dict().items() if own[k].shape == v.shape}
        model.audio.load_state_dict(state, strict=False)
    else:
        sample = np.concatenate([c.mel[:, ::50] for c in clips], axis=1)
        model.audio.mel_mean.fill_(float(sample.mean()))
        model.audio.mel_std.fill_(float(sample.std() + 1e-6))
    feats = np.concatenate([c.feats for c in clips])
    model.video.feat_mean.copy_(torch.from_numpy(feats.mean(0)))
    model.video.feat_std.copy_(torch.from_numpy(feats.std(0) + 1e-4))


@torch.no_grad()
def clip_embeddings(model: cm.CrossModal, clips: Sequence[Clip]) -> tuple[np.ndarray, np.ndarray]:
    """Whole-clip video and audio vectors, ``(n, dim)`` each."""
    device = next(model.parameters()).device
    vids = [model.embed_video(torch.from_numpy(c.feats.T.copy())[None].to(device))[0] for c in clips]
    auds = [model.embed_audio(torch.from_numpy(c.mel)[None].to(device))[0] for c in clips]
    return torch.stack(vids).cpu().numpy(), torch.stack(auds).cpu().numpy()


def retrieval_scores(video: np.ndarray, audio: np.ndarray) -> dict[str, float]:
    """For each silent video, the rank of its own audio among all clips' audio (1 = first)."""
    sim = video @ audio.T
    ranks = 1 + (sim > sim.diagonal()[:, None]).sum(axis=1)
    return {
        "recall@1": float((ranks <= 1).mean()), "recall@5": float((ranks <= 5).mean()),
        "recall@10": float((ranks <= 10).mean()), "median_rank": float(np.median(ranks)), "n": len(ranks),
    }  # fmt: skip


def evaluate(model: cm.CrossModal, clips: Sequence[Clip], *, seed: int = 0) -> dict[str, dict[str, float]]:
    """Global (clip-vector) retrieval beside random embeddings, the floor."""
    video, audio = clip_embeddings(model, clips)
    rng = np.random.default_rng(seed)
    rand = [rng.standard_normal(video.shape) for _ in range(2)]
    return {"global": retrieval_scores(video, audio), "random": retrieval_scores(*rand)}


def format_table(results: dict[str, dict[str, float]]) -> str:
    rows = [f"{'mode':<10}{'R@1':>7}{'R@5':>7}{'R@10':>7}{'median rank':>13}{'clips':>7}"]
    for mode, s in results.items():
        rows.append(f"{mode:<10}{s['recall@1']:>7.3f}{s['recall@5']:>7.3f}{s['recall@10']:>7.3f}"
                    f"{s['median_rank']:>13.1f}{s['n']:>7d}")  # fmt: skip
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Train the cross-modal music-video model (no Django needed).")
    parser.add_argument("--videos", type=Path, nargs="+", required=True, help="folders of music videos (with audio)")
    parser.add_argument("--eval", type=Path, help="a folder of held-out music videos")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument(
        "--audio-init", type=Path, default=Path(__file__).resolve().parents[1] / "checkpoints" / "audio_encoder.pt"
    )
    parser.add_argument("--steps", type=int, default=CrossTrainConfig.steps)
    parser.add_argument("--loss", choices=["triplet", "infonce"], default="triplet")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bins", type=int, default=DEFAULT_BINS, help="ordered time bins in the pooling")
    parser.add_argument("--init", type=Path, help="continue training from this cross-modal checkpoint")
    parser.add_argument("--augment", action="store_true", help="change speed and colours of training windows")
    args = parser.parse_args(argv)
    clips = [clip for folder in args.videos for clip in load_corpus(folder)]
    print(f"{len(clips)} training clips")
    t0 = time.monotonic()
    config = CrossTrainConfig(steps=args.steps, loss=args.loss, seed=args.seed, augment=args.augment)
    model, losses = train(
        clips,
        config,
        audio_init=args.audio_init,
        progress=lambda f, m: print(f"[{f:4.0%}] {m}", flush=True),
        model_config=cm.CrossModalConfig(bins=args.bins),
        init=args.init,
    )
    meta = {"steps": args.steps, "loss": args.loss, "seed": args.seed, "clips": len(clips), "bins": args.bins,
            "init": str(args.init) if args.init else None, "augment": args.augment,
            "train_seconds": round(time.monotonic() - t0), "final_loss": float(np.mean(losses[-20:]))}  # fmt: skip
    if args.eval:
        results = evaluate(model, load_corpus(args.eval))
        print(format_table(results))
        meta["eval"] = results
    cm.save(model, args.out, meta=meta)
    print(json.dumps(meta))


if __name__ == "__main__":
    main()
