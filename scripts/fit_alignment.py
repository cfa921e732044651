"""Fit the alignment's term weights and save them beside the models (recommender/checkpoints).

    .venv/bin/python scripts/fit_alignment.py [--clips 90] [--work /tmp/segue-fit-alignment-3]

Training music videos: real music from Debian packages that the real-media benchmark does *not* use
(``TRAIN_PACKAGES``: Wesnoth's orchestral score, Extreme Tux Racer's and Frozen Bubble's game music; install
them with apt-get, development only), each track's first three minutes, with synthesised songs (seeds 500 on,
none of them in the demo catalog, each bar at a gain of its own) as distractors; edited from real photographs
(Debian wallpaper packages) with editing habits drawn per video by ``recommender/synth/photo_video.py`` from
families A, B and C in turn. Family D and every file of ``bench/real_media.py`` (its music, its videos) stay
out, so the benchmark remains a test. ``--music synth`` fits on synthesised songs only (the first fit).
Reproduces ``recommender/checkpoints/alignment_weights.json``.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.real_media import MIN_SECONDS, MUSIC_PACKAGES, PHOTO_PACKAGES, decode_head, package_files  # noqa: E402
from recommender import evaluation as ev  # noqa: E402
from recommender.alignment import WEIGHTS_PATH  # noqa: E402
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
    parser.add_argument("--music", choices=["real", "synth"], default="real")
    parser.add_argument("--work", type=Path, default=Path("/tmp/segue-fit-alignment-3"))
    parser.add_argument("--out", type=Path, default=WEIGHTS_PATH)
    parser.add_argument("--seed", type=int, default=0)
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
    entries = [_cached(args.work / "tracks" / f"{n}.pkl", lambda n=n: ev.music_entry(n, audio[n], SR, model))
               for n in names]  # fmt: skip
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
    weights, report = fit_weights([(q.sequence, q.truth, q.offset) for q in queries], [e.sequence for e in entries])
    print(f"fitted: {weights}\n{report}")
    command = (
        f"scripts/fit_alignment.py --music {args.music} --songs {args.songs} --clips {args.clips} --seed {args.seed}"
    )
    what = (
        f"{len(real)} real tracks of {', '.join(TRAIN_PACKAGES)} and {args.songs} synthesised songs"
        if real
        else (f"{args.songs} synthesised songs")
    )
    save_weights(args.out, weights, report, source=f"{args.clips} photo clips of {what} ({command})")
    print(f"saved {args.out}")


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
