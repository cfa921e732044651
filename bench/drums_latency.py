"""Drum studio: rating → next loop ready, Segue's learner against the first learner, interleaved in one process.

    .venv/bin/python bench/drums_latency.py [--steps 40] [--rounds 2]

Each step chooses the next loop from a history of ``k`` rated loops (k = 0 … steps-1, prior loops with 30 % likes),
renders it at 44.1 kHz and encodes the WAV, once with each learner in turn, so both see the same machine load.
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
    args = parser.parse_args()
    configure_torch(1)
    kit, feature_kit = synth_kit(44100), synth_kit(16000)
    rng = np.random.default_rng(0)
    history = sample_prior(args.steps, rng)
    labels = (rng.random(args.steps) < 0.3).astype(np.float32)
    times: dict[str, list[float]] = {"bayes": [], "ensemble": []}
    for model in times:  # warm-up: imports, atoms, caches
        propose(history[:5], labels[:5], history[:5], rng=rng, kit=feature_kit, config=LearnerConfig(model=model))
    for _ in range(args.rounds):
        for k in range(args.steps):
            for model in times:
                t0 = time.perf_counter()
                cfg = LearnerConfig(model=model)
                p = propose(history[:k], labels[:k], history[:k], rng=rng, kit=feature_kit, config=cfg)
                to_wav_bytes(render(p.pattern, kit), kit.sr)
                times[model].append(time.perf_counter() - t0)
    for model, t in times.items():
        ms = np.array(t) * 1000
        print(f"{model:<9} median {np.median(ms):.0f} ms, p95 {np.percentile(ms, 95):.0f} ms, max {ms.max():.0f} ms")
    ratio = np.median(times["bayes"]) / np.median(times["ensemble"])
    print(f"median ratio bayes / first learner: {ratio:.2f}")


if __name__ == "__main__":
    main()
