"""Drum studio benchmark: simulated listeners against random proposals, and rating → next-loop latency.

    .venv/bin/python bench/drums_listeners.py [--seeds 5] [--ratings 40] [--noise 0.1]

For each scripted taste (recommender/drums/listeners.py), a listener rates each proposed loop with
``noise`` probability of flipping its answer. Reported per taste: the share of truly liked loops among
the last 10 proposals after N ratings (noise-free truth), against random proposals from the prior
(the taste's base rate, measured on 20,000 prior loops) in the same run; and the time from a rating
to the next loop being ready (choose + render + WAV encode), median and p95.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recommender.drums.kit import synth_kit
from recommender.drums.learner import configure_torch, propose
from recommender.drums.listeners import TASTES, Listener, base_rate
from recommender.drums.patterns import N_INSTRUMENTS, sample_prior
from recommender.drums.render import render, to_wav_bytes


def session(taste, seed: int, ratings: int, noise: float, kit) -> tuple[list[bool], list[float]]:
    rng = np.random.default_rng(seed)
    listener = Listener(taste, noise, np.random.default_rng(10_000 + seed))
    shown: list[np.ndarray] = []
    labels: list[float] = []
    truth: list[bool] = []
    latency: list[float] = []
    for _ in range(ratings):
        t0 = time.perf_counter()
        hist = np.array(shown, dtype=np.float32).reshape(-1, N_INSTRUMENTS, 16)
        prop = propose(hist, np.array(labels, dtype=np.float32), hist, rng=rng)
        to_wav_bytes(render(prop.pattern, kit, tempo=120.0), kit.sr)
        latency.append(time.perf_counter() - t0)
        shown.append(prop.pattern)
        labels.append(1.0 if listener.rate(prop.pattern) else 0.0)
        truth.append(taste(prop.pattern))
    return truth, latency


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--ratings", type=int, default=40)
    parser.add_argument("--noise", type=float, default=0.1)
    args = parser.parse_args()
    configure_torch(1)
    kit = synth_kit(44100)
    prior = sample_prior(20_000, np.random.default_rng(2024))
    checkpoints = [n for n in (10, 20, 30, 40, 60, 80) if n <= args.ratings]
    print(
        f"{args.seeds} seeds, {args.ratings} ratings, {args.noise:.0%} answer noise; "
        "liked share of the last 10 proposals"
    )
    header = (
        f"{'taste':<20}{'random':>8}"
        + "".join(f"{'@' + str(n):>8}" for n in checkpoints)
        + f"{'ratio@' + str(args.ratings):>10}"
    )
    print(header)
    all_latency: list[float] = []
    reached = 0
    for name, taste in TASTES.items():
        runs = [session(taste, seed, args.ratings, args.noise, kit) for seed in range(args.seeds)]
        all_latency += [t for _, lat in runs for t in lat]
        rand = base_rate(taste, prior)
        shares = [np.mean([np.mean(truth[n - 10 : n]) for truth, _ in runs]) for n in checkpoints]
        reached += shares[-1] >= 0.8
        ratio = shares[-1] / rand if rand else float("inf")
        print(f"{name:<20}{rand:>8.3f}" + "".join(f"{s:>8.2f}" for s in shares) + f"{ratio:>10.1f}")
    lat = np.array(all_latency) * 1000
    print(f"tastes with >= 0.80 liked after {args.ratings} ratings: {reached} of {len(TASTES)}")
    print(
        f"rating -> next loop ready: median {np.median(lat):.0f} ms, "
        f"p95 {np.percentile(lat, 95):.0f} ms, max {lat.max():.0f} ms"
    )


if __name__ == "__main__":
    main()
