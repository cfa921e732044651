"""Fit the alignment's term weights and save them beside the models (recommender/checkpoints).

    .venv/bin/python scripts/fit_alignment.py [--songs 40] [--clips 40] [--work /tmp/segue-fit-alignment-2]

Training music videos: songs synthesised by Segue's own generator (seeds 500 on, none of them in the demo
catalog), each bar at a gain of its own (real music is never looped sample for sample), edited from real
photographs (Debian wallpaper packages; development only) with editing habits drawn per video by
``recommender/synth/photo_video.py`` (family A). None of the real music or the query videos of
``bench/real_media.py`` is used, so its figures stay a test. Reproduces
``recommender/checkpoints/alignment_weights.json``.
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

from bench.real_media import PHOTO_PACKAGES, package_files  # noqa: E402
from recommender import evaluation as ev  # noqa: E402
from recommender.alignment import WEIGHTS_PATH  # noqa: E402
from recommender.blend import fit_weights, save_weights  # noqa: E402
from recommender.synth.photo_video import load_photos, make_query, music_events, with_dynamics  # noqa: E402

FIRST_SEED = 500


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--songs", type=int, default=40)
    parser.add_argument("--clips", type=int, default=40)
    parser.add_argument("--work", type=Path, default=Path("/tmp/segue-fit-alignment-2"))
    parser.add_argument("--out", type=Path, default=WEIGHTS_PATH)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    from recommender.models.crossmodal import load
    from recommender.synth.music import make_song

    model = load(ROOT / "recommender" / "checkpoints" / "crossmodal.pt")
    args.work.mkdir(parents=True, exist_ok=True)
    songs = {s: make_song(s) for s in range(FIRST_SEED, FIRST_SEED + args.songs)}
    audio = {s: with_dynamics(song.audio, song.tempo, song.sr, seed=s) for s, song in songs.items()}
    entries = [_cached(args.work / "songs" / f"{s}.pkl", lambda s=s: ev.music_entry(f"song-{s}", audio[s],
               songs[s].sr, model)) for s in songs]  # fmt: skip
    print(f"{len(entries)} training songs analysed")
    photo_paths = package_files(PHOTO_PACKAGES, r"\.(jpe?g|png)$")
    rng = np.random.default_rng(args.seed)
    photos = load_photos([photo_paths[i] for i in rng.permutation(len(photo_paths))[-80:]])  # drawn on their own
    queries = []
    for i in range(args.clips):
        qrng = np.random.default_rng([args.seed, 7, i])
        k = int(qrng.integers(len(entries)))
        seed = FIRST_SEED + k
        video = args.work / f"clip{i:03d}.mp4"
        meta_path = video.with_suffix(".json")
        if not meta_path.exists():
            pick = [photos[int(j)] for j in qrng.choice(len(photos), 10, replace=False)]
            make_query(video, audio[seed], music_events(audio[seed]), pick, "A", qrng, track=f"song-{seed}")
        meta = json.loads(meta_path.read_text())
        key = args.work / "analysis" / f"{video.stem}-{ev.VIDEO_VERSION}.pkl"
        queries.append(_cached(key, lambda video=video, k=k, meta=meta: ev.video_query(video, model, k, meta["start"])))
        if (i + 1) % 20 == 0:
            print(f"  {i + 1}/{args.clips} training clips")
    weights, report = fit_weights([(q.sequence, q.truth, q.offset) for q in queries], [e.sequence for e in entries])
    print(f"fitted: {weights}\n{report}")
    command = f"scripts/fit_alignment.py --songs {args.songs} --clips {args.clips} --seed {args.seed}"
    save_weights(args.out, weights, report, source=f"{args.clips} photo clips of {args.songs} synthesised songs "
                 f"({command})")  # fmt: skip
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
