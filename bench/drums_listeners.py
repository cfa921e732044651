"""Drum studio benchmark: listeners who judge the audio, Segue's learner against a DeepDrummer-style baseline.

    .venv/bin/python bench/drums_listeners.py [--seeds 3] [--first-seed 0] [--ratings 40] [--tastes 36]
        [--taste-seed 0] [--heldout 12] [--workers 2] [--quick] [--min-base 0.02] [--no-grid]
        [--variant NAME='{"credit_scope": "cluster"}' ...] [--save sessions.json]

Tastes (recommender/drums/listeners.py): four hand-written tastes on what is heard (``hand``), ``--tastes`` drawn
from a rule family over the same audio features (``rhythm``, ``texture``, ``sound``; kept when their base rate
under the prior is 1–30 %; ``--taste-seed`` draws them), and the first benchmark's four tastes on the pattern grid
(``grid``). ``--heldout N`` adds N tastes drawn with another seed (``--taste-seed`` + 1), family ``held-out ...``:
the learner was developed on the first draw only, so these say whether it generalises over the rule family. An audio
listener gets only the loop rendered at 44.1 kHz (the WAV the API serves) and the tempo, and flips its answer with
``--noise`` probability. Learners, each in the same run on the same listeners and seeds:

- ``bayes``: Segue's learner (Bayesian logistic critic on band-wise onsets + grid, Thompson sampling, local search);
- ``deepdrummer``: random proposals from the prior, a CNN critic on the log-mel retrained after each rating,
  greedy choice (bench/drums_baseline.py);
- ``ensemble``: the studio's first learner (networks on the log-mel), on the grid tastes and for latency;
- ``--variant NAME=JSON``: ``bayes`` with those ``LearnerConfig`` fields changed, in the same run on the same
  listeners and seeds (a variant is judged beside the committed learner, never against figures of another run).

Reported: the share of truly liked loops (noise-free) in ratings 1–10 and 31–40 per taste, averaged over seeds,
with the taste's base rate (random proposals from the prior: 2,000 prior loops heard in the same run); the
distribution over tastes; means per family and learner; and the time from a rating to the next loop being ready
(choose + render + WAV encode), median and p95, per learner. Sessions are seeded: the same taste, seed and learner
play the same loops in every run. ``--save`` writes each session's noise-free answers (JSON), for paired comparisons
between learners and runs.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from multiprocessing import Pool
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from drums_baseline import propose_deepdrummer

from recommender.drums.hearing import hear
from recommender.drums.kit import synth_kit
from recommender.drums.learner import LearnerConfig, configure_torch, propose
from recommender.drums.listeners import (
    AUDIO_TASTES,
    TASTES,
    AudioListener,
    Listener,
    prior_scalars,
    random_tastes,
)
from recommender.drums.patterns import N_INSTRUMENTS, sample_prior
from recommender.drums.render import render, to_wav_bytes

SR, TEMPO = 44100, 120.0


def session(
    learner: str, kind: str, taste, seed: int, ratings: int, noise: float, overrides: dict | None = None
) -> tuple[list[bool], list[float]]:
    """One listener's session: the truth (noise-free like) of each proposal and each step's latency. ``overrides``:
    ``LearnerConfig`` fields of a variant of ``bayes`` (``learner`` is then the variant's name)."""
    configure_torch(1)
    kit, feature_kit = synth_kit(SR), synth_kit(16000)
    rng = np.random.default_rng([seed, 7])
    listener_rng = np.random.default_rng([seed, 11])
    shown, labels, truth, latency = [], [], [], []
    for _ in range(ratings):
        t0 = time.perf_counter()
        hist = np.array(shown, dtype=np.float32).reshape(-1, N_INSTRUMENTS, 16)
        y = np.array(labels, dtype=np.float32)
        if learner == "deepdrummer":
            pattern = propose_deepdrummer(hist, y, rng=rng, kit=feature_kit, tempo=TEMPO)
        else:
            cfg = LearnerConfig(**overrides) if overrides else LearnerConfig(model=learner)
            pattern = propose(hist, y, hist, rng=rng, kit=feature_kit, tempo=TEMPO, config=cfg).pattern
        audio = render(pattern, kit, tempo=TEMPO)
        to_wav_bytes(audio, SR)
        latency.append(time.perf_counter() - t0)
        if kind == "grid":
            listener = Listener(taste, noise, listener_rng)
            liked, true = listener.rate(pattern), taste(pattern)
        else:
            listener = AudioListener(taste, noise, listener_rng)
            true = listener.truth(audio, SR, TEMPO)
            liked = (not true) if listener_rng.random() < noise else true
        shown.append(pattern)
        labels.append(float(liked))
        truth.append(bool(true))
    return truth, latency


def _run(job):
    return job, session(*job)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--ratings", type=int, default=40)
    parser.add_argument("--noise", type=float, default=0.1)
    parser.add_argument("--tastes", type=int, default=36, help="random tastes drawn from the rule family")
    parser.add_argument("--taste-seed", type=int, default=0, help="seed of the drawn tastes")
    parser.add_argument("--heldout", type=int, default=0, help="tastes drawn with --taste-seed + 1, reported apart")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--learners", default="bayes,deepdrummer,ensemble")
    parser.add_argument("--quick", action="store_true", help="12 random tastes, 3 seeds")
    parser.add_argument("--first-seed", type=int, default=0, help="sessions use seeds first-seed .. + seeds - 1")
    parser.add_argument("--min-base", type=float, default=0.0, help="leave out audio tastes rarer than this")
    parser.add_argument("--no-grid", action="store_true", help="leave out the four grid tastes")
    parser.add_argument(
        "--variant", action="append", default=[], metavar="NAME=JSON", help="bayes with LearnerConfig fields changed"
    )
    parser.add_argument("--save", type=Path, help="write every session's noise-free answers here (JSON)")
    args = parser.parse_args()
    variants = dict(_variant(v) for v in args.variant)
    if args.quick:
        args.tastes = min(args.tastes, 12)
    t_start = time.perf_counter()
    kit = synth_kit(SR)
    prior = sample_prior(2000, np.random.default_rng(2024))
    scalars = prior_scalars([hear(render(p, kit, tempo=TEMPO), SR, TEMPO) for p in prior])
    drawn = random_tastes(args.tastes, scalars, np.random.default_rng(args.taste_seed))
    tastes = [("audio", t.name, t.family, t, float(t.likes_scalars(scalars).mean())) for t in AUDIO_TASTES.values()]
    tastes += [("audio", t.name, t.family, t, float(t.likes_scalars(scalars).mean())) for t in drawn]
    heldout = random_tastes(args.heldout, scalars, np.random.default_rng(args.taste_seed + 1)) if args.heldout else []
    heldout = [replace(t, name=t.name.replace("drawn", "heldout"), family=f"held-out {t.family}") for t in heldout]
    tastes += [("heldout", t.name, t.family, t, float(t.likes_scalars(scalars).mean())) for t in heldout]
    tastes = [t for t in tastes if t[4] >= args.min_base]
    if not args.no_grid:
        tastes += [("grid", n, "grid", f, float(np.mean([f(p) for p in prior]))) for n, f in TASTES.items()]
    learners = [lr for lr in args.learners.split(",") if lr] + list(variants)
    jobs = [
        (learner, kind, taste, seed, args.ratings, args.noise, variants.get(learner))
        for learner in learners
        for kind, name, family, taste, _ in tastes
        if learner != "ensemble" or family == "grid"
        for seed in range(args.first_seed, args.first_seed + args.seeds)
    ]
    by_seed: dict[str, dict[str, dict[int, list[bool]]]] = {}
    latency: dict[str, list[float]] = {learner: [] for learner in learners}
    with Pool(args.workers) as pool:
        for (learner, _, taste, seed, *_), (truth, lat) in pool.imap_unordered(_run, jobs):
            name = getattr(taste, "name", None) or getattr(taste, "__name__", "")
            by_seed.setdefault(learner, {}).setdefault(name, {})[seed] = truth
            latency[learner] += lat
    if args.save:
        args.save.write_text(json.dumps({"variants": variants, "sessions": by_seed}))
    report(tastes, learners, by_seed, latency, args, time.perf_counter() - t_start)


def _paired(by_seed: dict, a: str, b: str, names: list[str]) -> np.ndarray:
    """Per-session differences of the last-10 liked share, ``b`` minus ``a``, over the sessions both ran (same
    taste and seed, so the same listener and the same first loop): the noise between tastes and seeds cancels."""
    out = []
    for name in names:
        runs_a, runs_b = by_seed.get(a, {}).get(name, {}), by_seed.get(b, {}).get(name, {})
        out += [np.mean(runs_b[seed][-10:]) - np.mean(runs_a[seed][-10:]) for seed in runs_a if seed in runs_b]
    return np.array(out)


def _variant(spec: str) -> tuple[str, dict]:
    """``NAME=JSON`` → (name, LearnerConfig fields); the fields are checked now, not in a worker."""
    name, _, fields = spec.partition("=")
    if not name or name in ("bayes", "deepdrummer", "ensemble"):
        raise SystemExit(f"--variant needs a new name: {spec!r}")
    overrides = {"model": "bayes", **json.loads(fields or "{}")}
    LearnerConfig(**overrides)  # unknown fields fail here
    return name, overrides


def report(tastes, learners, by_seed, latency, args, seconds: float) -> None:
    n = args.ratings
    results = {(lr, name): list(runs.values()) for lr, per in by_seed.items() for name, runs in per.items()}
    print(
        f"{args.seeds} seeds, {n} ratings, {args.noise:.0%} answer noise, {len(tastes)} tastes; liked share "
        f"(noise-free) in ratings 1-10 and {n - 9}-{n}, mean over seeds; base = random proposals from the prior"
    )
    head = f"{'taste':<20}{'family':<9}{'base':>6}"
    head += "".join(f"{lr[:11] + ' 1-10':>17}{'last10':>8}" for lr in learners)
    print(head)
    last: dict[str, dict[str, float]] = {lr: {} for lr in learners}
    for _, name, family, taste, rate in tastes:
        row = f"{name:<20}{family:<9}{rate:>6.3f}"
        for lr in learners:
            runs = results.get((lr, name))
            if not runs:
                row += f"{'':>17}{'':>8}"
                continue
            first, end = np.mean([np.mean(t[:10]) for t in runs]), np.mean([np.mean(t[-10:]) for t in runs])
            last[lr][name] = end
            row += f"{first:>17.2f}{end:>8.2f}"
        print(row + (f"   {taste}" if family != "grid" else ""))
    for group, label in (("audio", "audio tastes"), ("heldout", "held-out audio tastes")):
        audio = [(name, family, rate) for kind, name, family, _, rate in tastes if kind == group]
        for lr in learners:
            shares = np.array([last[lr][name] for name, _, _ in audio if name in last[lr]])
            if not len(shares):
                continue
            common = np.array([last[lr][name] for name, _, rate in audio if rate >= 0.02 and name in last[lr]])
            sessions = [t for name, _, _ in audio for t in results.get((lr, name), [])]
            unheard = np.mean([not any(t[: n - 10]) for t in sessions])
            print(
                f"{lr}: {label}, liked share in the last 10: mean {shares.mean():.2f}, quartiles "
                f"{np.percentile(shares, 25):.2f}/{np.median(shares):.2f}/{np.percentile(shares, 75):.2f}, min "
                f"{shares.min():.2f}; base rate >= 2 %: {np.mean(common >= 0.8 - 1e-9):.0%} of {len(common)} reach 0.8"
                f"; {unheard:.0%} of {len(sessions)} sessions heard no truly liked loop in ratings 1-{n - 10}"
            )
    families = sorted({family for _, _, family, _, _ in tastes})
    print("mean liked share in the last 10 per family: " + ", ".join(families))
    for lr in learners:
        means = []
        for fam in families:
            vals = [last[lr][name] for _, name, f, _, _ in tastes if f == fam and name in last[lr]]
            means.append(f"{np.mean(vals):.2f} ({len(vals)})" if vals else "-")
        print(f"  {lr:<12}" + "  ".join(f"{m:>10}" for m in means))
    grid = [last[learners[0]].get(name, 0.0) for _, name, family, _, _ in tastes if family == "grid"]
    if grid:
        reach = sum(g >= 0.8 - 1e-9 for g in grid)
        print(f"{learners[0]}: grid tastes with >= 0.8 in the last 10: {reach} of {len(grid)}")
    for lr in learners[1:]:
        diff = _paired(by_seed, learners[0], lr, [name for kind, name, *_ in tastes if kind != "grid"])
        if len(diff):
            print(
                f"{lr} - {learners[0]}, audio sessions paired by taste and seed: liked share in the last 10 "
                f"{diff.mean():+.3f} (standard error {diff.std(ddof=1) / np.sqrt(len(diff)):.3f}, {len(diff)} pairs)"
            )
    for lr in learners:
        lat = np.array(latency[lr]) * 1000
        if len(lat):
            print(
                f"rating -> next loop ready, {lr}: median {np.median(lat):.0f} ms, "
                f"p95 {np.percentile(lat, 95):.0f} ms, max {lat.max():.0f} ms "
                f"({len(lat)} steps, {args.workers} sessions in parallel)"
            )
    print(f"benchmark took {seconds:.0f} s")


if __name__ == "__main__":
    main()
