"""Edit to length on real tracks, against the naive edit (the track from its start, cut at the length with a fade).

    .venv/bin/python bench/arrange.py [--tracks 8] [--excerpt 180] [--targets 10 20 30 47.3 60 90 120 180] [FILES]
    .venv/bin/python bench/arrange.py --listen OUT_DIR [--tracks 3]      # a blind listening sheet (WAV pairs)

Default tracks: the Debian packages planetblupi-music-ogg and warzone2100-music (``apt-get install -y ...``).
Those tracks last 5 to 29 minutes, so each is cut to its last ``--excerpt`` seconds (a 3-minute track that ends
on the real ending; ``--excerpt 0`` keeps whole tracks). Each is analysed once (``recommender.analysis``:
downbeats, sections); then per target length:

- length error (frames at 25 fps) of the rendered audio;
- share of joins on one of the analysis' downbeats (within 1 ms);
- join audibility: the change heard across each join in the *rendered* audio (chroma jump + log-mel distance
  over half a bar either side), against the same measure at every ordinary downbeat of the original track;
  reported as the share of joins at or below the track's own 90th percentile (target: >= 90 %);
- whether the edit ends on the track's real ending (naive: only when the target covers the whole track), and
  whether it keeps the start (the edit begins within the track's first bar);
- plan time (features once per track, then the search per target) and render speed (x real time), beside the
  naive edit's render speed;
- plan time end to end for a catalog track, as the web app plans it: the join features kept by the analysis
  (float16 bytes on the Track row, computed from the analysis' own STFT) read back, join costs and the search; beside
  it, in the same run, a track analysed before features were kept (decode + STFT + features + plan).
The naive edit's joins (when the target is longer than the track it loops the whole track) are measured alike.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recommender.analysis import analyze
from recommender.arrange import ArrangeError, naive_edit, plan_edit, render
from recommender.arrange_features import downbeat_features, from_bytes, join_costs, to_bytes
from recommender.media import load_audio
from recommender.spectral import power_spectrogram

SR = 22050
FRAME = 1 / 25
DEFAULT_DIRS = ["/usr/share/planetblupi/music", "/usr/share/games/warzone2100/music"]


def default_tracks(n: int) -> list[Path]:
    files: list[Path] = []
    for d in DEFAULT_DIRS:
        found = sorted(p for p in Path(d).rglob("*") if p.suffix in (".ogg", ".opus"))
        files += found[: (n + 1) // 2]
    return files[:n]


def change_measure(y: np.ndarray, sr: int, times, window: float) -> np.ndarray:
    """Change heard across each time: chroma jump (1 - cosine) + log-mel distance (dB / 6), ``window`` s each side."""
    import librosa

    power = power_spectrogram(y)
    chroma = librosa.feature.chroma_stft(S=power, sr=sr, tuning=0.0)
    mel = librosa.power_to_db(librosa.feature.melspectrogram(S=power, sr=sr, n_mels=64), top_db=80.0)
    rate, k = sr / 512, max(1, int(window * sr / 512))
    out = []
    for t in times:
        c = int(round(t * rate))
        if c - k < 0 or c + k > power.shape[1]:
            continue
        cb, ca = chroma[:, c - k : c].mean(1), chroma[:, c : c + k].mean(1)
        mb, ma = mel[:, c - k : c].mean(1), mel[:, c : c + k].mean(1)
        cos = cb @ ca / (np.linalg.norm(cb) * np.linalg.norm(ca) + 1e-9)
        out.append((1 - cos) + np.linalg.norm(mb - ma) / np.sqrt(64) / 6)
    return np.array(out)


def prepare(path: Path, excerpt: float = 0.0):
    t = time.perf_counter()
    y = load_audio(path, sr=SR)
    # decoding is linear in the length: an excerpt-long file takes its share of the whole file's decode
    t_decode = (time.perf_counter() - t) * (min(1.0, excerpt * SR / max(len(y), 1)) if excerpt > 0 else 1.0)
    if excerpt > 0:
        y = y[-int(excerpt * SR) :]
    a = analyze(y, SR)
    t = time.perf_counter()
    feats = downbeat_features(y, SR, a.downbeats, duration=len(y) / SR)
    t_feat = time.perf_counter() - t
    return y, a, feats, t_feat, t_decode


def kept_features(y: np.ndarray, a, feats) -> tuple[bytes, float]:
    """What the analysis keeps on the Track row (from its own STFT), and the time that adds to the analysis."""
    power = power_spectrogram(y)
    t = time.perf_counter()
    again = downbeat_features(None, SR, a.downbeats, power=power, duration=len(y) / SR)
    return to_bytes(again), time.perf_counter() - t


def run(paths: list[Path], targets: list[float], excerpt: float) -> None:
    rows, plan_ms, rt_arr, rt_naive, kept_ms, cold_ms, kept_add, kept_kb = [], [], [], [], [], [], [], []
    totals = {"arr_joins": 0, "arr_ok": 0, "naive_joins": 0, "naive_ok": 0, "on_db": 0, "start": 0}
    head = f"{'track':24} {'dur':>6} {'bars':>4} {'target':>6} | {'err fr':>6} {'joins':>5} {'<=p90':>5} "
    head += f"{'ending':>6} {'plan ms':>7} {'x rt':>6} | naive: "
    print(head + f"{'joins':>5} {'<=p90':>5} {'ending':>6} {'x rt':>6}")
    for path in paths:
        y, a, feats, t_feat, t_decode = prepare(path, excerpt)
        dur, bar = len(y) / SR, feats.bar
        natural = change_measure(y, SR, a.downbeats, bar / 2)
        p90 = float(np.percentile(natural, 90)) if len(natural) else np.inf
        raw, t_add = kept_features(y, a, feats)
        kept_add.append(t_add * 1000)
        kept_kb.append(len(raw) / 1024)
        starts = [s.start for s in a.sections]
        for target in targets:
            t = time.perf_counter()  # end to end for a catalog track: the row's bytes → features → costs → search
            with contextlib.suppress(ArrangeError):  # reported below, by the plan with computed features
                plan_edit(from_bytes(raw, a.downbeats, dur), target, section_starts=starts)
            kept_ms.append((time.perf_counter() - t) * 1000)
            cold_ms.append((t_decode + t_feat) * 1000 + kept_ms[-1])
            t = time.perf_counter()
            costs = join_costs(feats)
            try:
                plan = plan_edit(feats, target, section_starts=[s.start for s in a.sections], costs=costs)
            except ArrangeError as exc:
                print(f"{path.name[:24]:24} {dur:6.1f} {len(a.downbeats):4d} {target:6.1f} | no plan: {exc}")
                continue
            t_plan = time.perf_counter() - t
            t = time.perf_counter()
            out = render(y, SR, plan)
            t_render = time.perf_counter() - t
            t = time.perf_counter()
            naive = naive_edit(y, SR, target)
            t_naive = time.perf_counter() - t
            err = abs(len(out) / SR - target) / FRAME
            on_db = sum(min(abs(np.array(a.downbeats) - x)) < 1e-3 for j in plan.joins for x in (j.src_from, j.src_to))
            heard = change_measure(out, SR, [j.out_time for j in plan.joins], bar / 2)
            naive_joins = [dur * k for k in range(1, int(np.ceil(target / dur)))]
            heard_naive = change_measure(naive, SR, naive_joins, bar / 2)
            ends = plan.ending_trim == 0 and abs(plan.pieces[-1].src_end - dur) < 1e-6
            totals["arr_joins"] += len(heard)
            totals["arr_ok"] += int((heard <= p90).sum())
            totals["naive_joins"] += len(heard_naive)
            totals["naive_ok"] += int((heard_naive <= p90).sum())
            totals["on_db"] += on_db
            totals["start"] += int(plan.pieces[0].src_start < bar)
            plan_ms.append(t_plan * 1000)
            rt_arr.append(target / max(t_render, 1e-9))
            rt_naive.append(target / max(t_naive, 1e-9))
            ok = f"{int((heard <= p90).sum())}/{len(heard)}"
            nok = f"{int((heard_naive <= p90).sum())}/{len(heard_naive)}"
            rows.append((path.name, dur, target, err, len(plan.joins), ends, t_plan))
            line = f"{path.name[:24]:24} {dur:6.1f} {len(a.downbeats):4d} {target:6.1f} | {err:6.3f} "
            line += f"{len(plan.joins):5d} {ok:>5} {('yes' if ends else 'no'):>6} "
            line += f"{t_plan * 1000:7.1f} {rt_arr[-1]:6.0f} | "
            nend = "yes" if target >= dur else "no"
            print(line + f"{'':7}{len(heard_naive):5d} {nok:>5} {nend:>6} {rt_naive[-1]:6.0f}")
        print(f"  features for {path.name}: {t_feat * 1000:.0f} ms once per track ({dur:.0f} s of audio)")
    if not rows:
        return
    joins = totals["arr_joins"]
    print()
    print(f"plans: {len(rows)}; length within a frame: {sum(r[3] <= 1 for r in rows)}/{len(rows)} "
          f"(max error {max(r[3] for r in rows):.4f} frames)")  # fmt: skip
    print(f"joins on a downbeat: {totals['on_db']}/{2 * sum(r[4] for r in rows)} join ends")
    print(
        f"joins at or below the track's own 90th percentile of downbeat change: arranged {totals['arr_ok']}/{joins}"
        f" = {totals['arr_ok'] / max(joins, 1):.0%}; naive loop joins {totals['naive_ok']}/{totals['naive_joins']}"
    )
    short = [r for r in rows if r[2] <= r[1]]
    print(f"ends on the real ending (target <= track): arranged {sum(r[5] for r in short)}/{len(short)}, naive 0/"
          f"{len(short)}")  # fmt: skip
    print(f"keeps the track's start (first bar): arranged {totals['start']}/{len(rows)}, naive {len(rows)}/{len(rows)}")
    print(f"plan time (join costs + search): median {statistics.median(plan_ms):.1f} ms, max {max(plan_ms):.1f} ms")
    print(f"plan time end to end from the features kept on the row (bytes -> features -> costs -> search): median "
          f"{statistics.median(kept_ms):.1f} ms, max {max(kept_ms):.1f} ms; a track without kept features (decode + "
          f"STFT + features + plan): median {statistics.median(cold_ms):.0f} ms, max {max(cold_ms):.0f} ms "
          f"({statistics.median(cold_ms) / statistics.median(kept_ms):.0f}x)")  # fmt: skip
    print(
        f"kept features: {statistics.median(kept_kb):.1f} KB per track (median), computed from the analysis' STFT "
        f"in median {statistics.median(kept_add):.0f} ms (max {max(kept_add):.0f} ms) added to each analysis"
    )
    print(f"render speed: arranged median {statistics.median(rt_arr):.0f}x real time (min {min(rt_arr):.0f}x); "
          f"naive median {statistics.median(rt_naive):.0f}x")  # fmt: skip


def listen(paths: list[Path], out_dir: Path, targets: list[float], excerpt: float, seed: int = 0) -> None:
    """Pairs of WAVs (arranged and naive, in a random order per pair) and the key in a separate file."""
    import soundfile as sf

    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    sheet, key = [], []
    for n, path in enumerate(paths):
        y, a, feats, *_ = prepare(path, excerpt)
        for target in targets:
            try:
                plan = plan_edit(feats, target, section_starts=[s.start for s in a.sections])
            except ArrangeError:
                continue
            pair = [("arranged", render(y, SR, plan)), ("naive", naive_edit(y, SR, target))]
            rng.shuffle(pair)
            for letter, (kind, audio) in zip("AB", pair, strict=True):
                name = f"{n:02d}-{int(target)}s-{letter}.wav"
                sf.write(out_dir / name, audio, SR, subtype="PCM_16")
                sheet.append([name, path.name, target, "", ""])
                key.append(
                    [name, kind, " ".join(f"{j.out_time:.2f}" for j in plan.joins) if kind == "arranged" else ""]
                )
    with open(out_dir / "sheet.csv", "w", newline="") as f:
        csv.writer(f).writerows([["file", "track", "target_s", "seams_heard (times)", "ending_natural (1-5)"], *sheet])
    with open(out_dir / "key.csv", "w", newline="") as f:
        csv.writer(f).writerows([["file", "edit", "join_times_s"], *key])
    print(f"wrote {len(sheet)} files, sheet.csv and key.csv (do not open the key before listening) to {out_dir}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--tracks", type=int, default=8)
    ap.add_argument("--excerpt", type=float, default=180.0, help="seconds at the end of each track (0: whole)")
    ap.add_argument("--targets", type=float, nargs="+", default=[10, 20, 30, 47.3, 60, 90, 120, 180, 300])
    ap.add_argument("--listen", type=Path, help="write a blind listening sheet (WAV pairs) to this folder")
    args = ap.parse_args()
    paths = args.files or default_tracks(args.tracks)
    if not paths:
        sys.exit("no tracks: apt-get install -y planetblupi-music-ogg warzone2100-music, or pass files")
    if args.listen:
        targets = [t for t in args.targets if t in (30, 60)] or args.targets[:2]
        listen(paths[: args.tracks], args.listen, targets, args.excerpt)
    else:
        run(paths, args.targets, args.excerpt)


if __name__ == "__main__":
    main()
