"""Drum studio: rating → next loop ready, Segue's learner against the first learner, interleaved in one process.

    .venv/bin/python bench/drums_latency.py [--steps 40] [--rounds 2] [--like-share 0.3]

Each step chooses the next loop from a history of ``k`` rated loops (k = 0 … steps-1, prior loops with
``--like-share`` likes), renders it at 44.1 kHz and encodes the WAV, once with each learner in turn, so all see the
same machine load: Segue's learner, the same exploring by plain prior draws (``explore="prior"``, the cheapest
exploring step), and the first learner. ``--like-share 0`` times the exploring steps alone (nothing liked yet: kernel
herding through the prior at every step).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recommender.drums.kit import synth_kit
from recommender.drums.learner import LearnerConfig, configure_torch, propose
from recommender.drums.patterns import sample_prior
from recommender.drums.render import render, to_wav_bytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--like-share", type=float, default=0.3)
    args = parser.parse_args()
    configure_torch(1)
    kit, feature_kit = synth_kit(44100), synth_kit(16000)
    rng = np.random.default_rng(0)
    history = sample_prior(args.steps, rng)
    labels = (rng.random(args.steps) < args.like_share).astype(np.float32)
    configs = {
        "bayes": LearnerConfig(),
        "bayes, prior draws": LearnerConfig(explore="prior"),
        "ensemble": LearnerConfig(model="ensemble"),
    }
    times: dict[str, list[float]] = {name: [] for name in configs}
    for cfg in configs.values():  # warm-up: imports, atoms, caches
        propose(history[:5], labels[:5], history[:5], rng=rng, kit=feature_kit, config=cfg)
    for _ in range(args.rounds):
        for k in range(args.steps):
            for name, cfg in configs.items():
                t0 = time.perf_counter()
                p = propose(history[:k], labels[:k], history[:k], rng=rng, kit=feature_kit, config=cfg)
                to_wav_bytes(render(p.pattern, kit), kit.sr)
                times[name].append(time.perf_counter() - t0)
    for name, t in times.items():
        ms = np.array(t) * 1000
        print(f"{name:<19} median {np.median(ms):.0f} ms, p95 {np.percentile(ms, 95):.0f} ms, max {ms.max():.0f} ms")
    for other in ("bayes, prior draws", "ensemble"):
        print(f"median ratio bayes / {other}: {np.median(times['bayes']) / np.median(times[other]):.2f}")


if __name__ == "__main__":
    main()
