"""Content alone on the real-media queries: does a cross-modal model's clip vector carry anything on real footage?

    .venv/bin/python bench/real_media_content.py [--model PATH ...] [--sets A,B,C,D] [--cache /tmp/segue-real-media]

Issue 13, part 4. The catalog and query videos are ``bench/real_media.py``'s (made there on first use). What does
not depend on the model (the queries' frame features at 4 fps, the tracks' log-mel) is cached under
``CACHE/content-inputs``; every model given re-embeds both. Printed per set and model: R@10 and median rank of
ranking the catalog by content alone, with each track's whole-track vector and with the best of its 30-s windows
every 5 s (a passage as long as a video), beside the random floor of the same run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import real_media as rm

from recommender import evaluation as ev

SHIPPED = Path(__file__).resolve().parents[1] / "recommender" / "checkpoints" / "crossmodal.pt"
WINDOW, HOP = 30.0, 5.0  # seconds: the passages a clip vector is compared with


def cached(path: Path, make) -> np.ndarray:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, make())
    return np.load(path)


def query_features(video: Path, inputs: Path) -> np.ndarray:
    from recommender.video import decode_frames, frame_features

    return cached(inputs / "features" / f"{video.parent.name}-{video.stem}.npy",
                  lambda: frame_features(decode_frames(video).images))  # fmt: skip


def track_mel(name: str, tracks: dict, inputs: Path) -> np.ndarray:
    from recommender.models import audio_encoder as enc
    from recommender.synth.music import make_song

    def load() -> np.ndarray:
        y = make_song(int(name.split("-")[1])).audio if name.startswith("demo-") else rm.decode_head(tracks[name])
        return enc.log_mel(y, rm.SR).astype(np.float32)

    return cached(inputs / "mel" / f"{name}.npy", load)


def passages(duration: float) -> list[tuple[float, float]]:
    starts = np.arange(0.0, max(HOP, duration - WINDOW + HOP), HOP)
    return [(float(s), float(min(duration, s + WINDOW))) for s in starts]


def track_vectors(model, entries: list[ev.Entry], tracks: dict, inputs: Path) -> tuple[np.ndarray, list[np.ndarray]]:
    """Whole-track vectors ``(n, D)`` and each track's passage vectors ``(k_i, D)`` in the model's space."""
    import torch

    from recommender.models import audio_encoder as enc

    whole, windows = [], []
    with torch.no_grad():
        for e in entries:
            vec, spans = enc.embed_track(model.audio, track_mel(e.name, tracks, inputs), passages(e.analysis.duration))
            whole.append(vec)
            windows.append(spans)
    return np.stack(whole), windows


def report(model_path: Path, entries, tracks: dict, sets: dict[str, list[Path]], inputs: Path, seed: int) -> None:
    from recommender.models import crossmodal as cm

    model = cm.load(model_path)
    whole, windows = track_vectors(model, entries, tracks, inputs)
    index = {e.name: i for i, e in enumerate(entries)}
    rng = np.random.default_rng(seed)
    for family, videos in sets.items():
        ranks: dict[str, list[float]] = {"track": [], "30-s windows": [], "random": []}
        for video in videos:
            truth = index[json.loads(video.with_suffix(".json").read_text())["track"]]
            clip, _ = cm.embed_video_spans(model, query_features(video, inputs))
            scores = {
                "track": whole @ clip,
                "30-s windows": np.array([float((w @ clip).max()) for w in windows]),
                "random": rng.standard_normal(len(entries)),
            }
            for name, s in scores.items():
                ranks[name].append(ev.rank_of(s, truth))
        cells = [f"{k} R@10 {np.mean(np.array(r) <= 10):.3f} med {np.median(r):.0f}" for k, r in ranks.items()]
        print(f"{model_path.name} set {family} ({len(videos)} videos, {len(entries)} tracks): " + " | ".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, nargs="+", default=[SHIPPED])
    parser.add_argument("--sets", default="A,B,C,D")
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--demo", type=int, default=100)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/segue-real-media"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    from recommender.models.crossmodal import load

    entries, tracks = rm.build_catalog(args.cache, load(SHIPPED), demo=args.demo)  # analyses and spans (cached)
    sets = {f: rm.build_queries(args.cache, f, args.queries, tracks, seed=args.seed) for f in args.sets.split(",")}
    for path in args.model:
        report(path, entries, tracks, sets, args.cache / "content-inputs", args.seed)


if __name__ == "__main__":
    main()
