"""Fit the alignment's term weights and save them beside the models (recommender/checkpoints).

    .venv/bin/python scripts/fit_alignment.py [--clips 90] [--work /tmp/segue-fit-alignment-3]

Training music videos: real music from Debian packages that the real-media benchmark does *not* use
(``TRAIN_PACKAGES``: Wesnoth's orchestral score, Extreme Tux Racer's and Frozen Bubble's game music; install
them with apt-get, development only), each track's first three minutes, with synthesised songs (seeds 500 on,
none of them in the demo catalog, each bar at a gain of its own) as distractors; edited from real photographs
(Debian wallpaper packages) with editing habits drawn per video by ``recommender/synth/photo_video.py`` from
families A, B and C in turn; and 12-fps generated music videos of the synthesised songs
(``recommender/synth/music_video.py``, as issue 5's tests upload). Family D and every file of
``bench/real_media.py`` (its music, its videos) stay out, so the benchmark remains a test. ``--music synth``
fits on synthesised songs only (the first fit).
Reproduces ``recommender/checkpoints/alignment_weights.json``.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.real_media import MIN_SECONDS, MUSIC_PACKAGES, PHOTO_PACKAGES, decode_head, package_files  # noqa: E402
from recommender import evaluation as ev  # noqa: E402
from recommender.alignment import DEFAULT_WEIGHTS, WEIGHTS_PATH, Weights  # noqa: E402
from recommender.blend import fit_weights, save_weights  # noqa: E402
from recommender.synth.photo_video import SR, load_photos, make_query, music_events, with_dynamics  # noqa: E402

FIRST_SEED = 500
TRAIN_PACKAGES = ("wesnoth-1.16-music", "extremetuxracer-data", "frozen-bubble-data")
FAMILIES = ("A", "B", "C")  # D is kept unseen by every fit
assert not set(TRAIN_PACKAGES) & set(MUSIC_PACKAGES)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--songs", type=int, default=40, help="synthesised songs (distractors with --music real)")
    parser.add_argument("--clips", type=int, default=90)
    parser.add_argument("--synth-clips", type=int, default=30, help="also: 12-fps generated music videos")
    parser.add_argument("--music", choices=["real", "synth"], default="real")
    parser.add_argument("--work", type=Path, default=Path("/tmp/segue-fit-alignment-3"))
    parser.add_argument("--out", type=Path, default=WEIGHTS_PATH)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--start", type=Path, help="warm start: a weights JSON (terms it lacks: DEFAULT_WEIGHTS)")
    parser.add_argument("--factors", default="0.5,2", help="each round scales each term by each of these")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from recommender.models.crossmodal import load
    from recommender.synth.music import make_song

    model = load(ROOT / "recommender" / "checkpoints" / "crossmodal.pt")
    args.work.mkdir(parents=True, exist_ok=True)
    audio: dict[str, np.ndarray] = {}
    for s in range(FIRST_SEED, FIRST_SEED + args.songs):
        song = make_song(s)
        audio[f"song-{s}"] = with_dynamics(song.audio, song.tempo, song.sr, seed=s)
    real = []
    if args.music == "real":
        for f in package_files(TRAIN_PACKAGES, r"\.ogg$"):
            y = decode_head(f)
            if len(y) >= MIN_SECONDS * SR:
                audio[f"real-{f.stem}"] = y
                real.append(f"real-{f.stem}")
        if not real:
            raise SystemExit(f"no training music: apt-get install -y {' '.join(TRAIN_PACKAGES)}")
    names = sorted(audio)
    entries = [_cached(args.work / "tracks" / f"{n}-{ev.MUSIC_VERSION}.pkl",
                       lambda n=n: ev.music_entry(n, audio[n], SR, model)) for n in names]  # fmt: skip
    sources = real or names  # what the clips are edited to
    print(f"{len(entries)} training tracks analysed ({len(real)} real)")
    photo_paths = package_files(PHOTO_PACKAGES, r"\.(jpe?g|png)$")
    rng = np.random.default_rng(args.seed)
    photos = load_photos([photo_paths[i] for i in rng.permutation(len(photo_paths))[-80:]])  # drawn on their own
    queries = []
    for i in range(args.clips):
        qrng = np.random.default_rng([args.seed, 7, i])
        name = sources[int(qrng.integers(len(sources)))]
        family = FAMILIES[i % len(FAMILIES)] if args.music == "real" else "A"
        video = args.work / f"clip{i:03d}.mp4"
        meta_path = video.with_suffix(".json")
        if not meta_path.exists():
            pick = [photos[int(j)] for j in qrng.choice(len(photos), 10, replace=False)]
            make_query(video, audio[name], music_events(audio[name]), pick, family, qrng, track=name)
        meta = json.loads(meta_path.read_text())
        video = video.with_name(meta.get("file", video.name))
        k = names.index(meta["track"])
        key = args.work / "analysis" / f"clip{i:03d}-{ev.VIDEO_VERSION}.pkl"
        queries.append(_cached(key, lambda video=video, k=k, meta=meta: ev.video_query(video, model, k, meta["start"])))
        if (i + 1) % 10 == 0:
            print(f"  {i + 1}/{args.clips} training clips", flush=True)
    for i in range(args.synth_clips):
        queries.append(_synth_clip(args.work, i, args.seed, names, entries, model, songs=args.songs))
    weights, report = fit_weights([(q.sequence, q.truth, q.offset) for q in queries], [e.sequence for e in entries],
                                  start=_start(args.start), rounds=args.rounds,
                                  factors=[float(f) for f in args.factors.split(",")])  # fmt: skip
    print(f"fitted: {weights}\n{report}")
    command = (
        f"scripts/fit_alignment.py --music {args.music} --songs {args.songs} --clips {args.clips} "
        f"--synth-clips {args.synth_clips} --seed {args.seed}"
        + (f" --start {args.start.name}" if args.start else "")
        + (f" --factors {args.factors} --rounds {args.rounds}" if (args.factors, args.rounds) != ("0.5,2", 3) else "")
    )
    real_part = f"{len(real)} real tracks of {', '.join(TRAIN_PACKAGES)} and " if real else ""
    source = (
        f"{args.clips} photo clips of {real_part}{args.songs} synthesised songs and {args.synth_clips} generated "
        f"12-fps clips ({command})"
    )
    save_weights(args.out, weights, report, source=source)
    print(f"saved {args.out}")


def _start(path: Path | None) -> Weights:
    """The weights a fit starts from: a saved blend (a warm start, so a new term is weighed against the terms as
    they were fitted), with the terms it lacks at ``DEFAULT_WEIGHTS``."""
    if path is None:
        return DEFAULT_WEIGHTS
    terms = asdict(DEFAULT_WEIGHTS)
    saved = json.loads(path.read_text())["weights"]
    return Weights(**{**terms, **{k: float(v) for k, v in saved.items() if k in terms}})


def _synth_clip(work: Path, i: int, seed: int, names: list[str], entries, model, *, songs: int):
    """A 12-fps clip of ``recommender/synth/music_video.py`` (the kind of video issue 5's tests upload: shapes
    cut on downbeats and sections, brightness following loudness) to a synthesised song: the photo clips alone
    never show a low frame rate, where the cuts count on the coarse grid and loudness says the most."""
    from recommender.mux import write_video
    from recommender.synth.music_video import render

    qrng = np.random.default_rng([seed, 11, i])
    name = f"song-{FIRST_SEED + int(qrng.integers(songs))}"
    video = work / f"synth{i:03d}.mp4"
    meta_path = video.with_suffix(".json")
    if not meta_path.exists():
        a = entries[names.index(name)].analysis
        start = float(qrng.uniform(0, max(0.0, a.duration - 16.0)))
        write_video(video, render(a, qrng, start=start, seconds=16.0, fps=12.0), 12.0)
        meta_path.write_text(json.dumps({"track": name, "start": round(start, 4)}))
    meta = json.loads(meta_path.read_text())
    key = work / "analysis" / f"synth{i:03d}-{ev.VIDEO_VERSION}.pkl"
    k = names.index(meta["track"])
    return _cached(key, lambda: ev.video_query(video, model, k, meta["start"]))


def _cached(path: Path, make):
    """What ``make()`` returns, kept in ``path`` (analyses take minutes; fitting is run again and again)."""
    if path.exists():
        return pickle.loads(path.read_bytes())
    value = make()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(value))
    return value


if __name__ == "__main__":
    main()
