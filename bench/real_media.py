"""Video → soundtrack on real media: real music, real photographs, editing habits drawn per video.

    .venv/bin/python bench/real_media.py [--queries 60] [--cache /tmp/segue-real-media]

Catalog: every music file of the Debian game-soundtrack packages named in ../shared/README.md that is at
least 45 s long (the first 180 s of each), plus the 100 demo songs as distractors. Queries: silent
20–40-s videos edited from Debian wallpapers by ``recommender/synth/photo_video.py``; set A is the habits
family used while developing, B, C and D habits written later, each kept unseen until a run that reports it.
Every mode is reported on every set with the random floor, in the same run. Analyses and videos are cached
in ``--cache``; nothing here is a run-time dependency of Segue.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from recommender import evaluation as ev
from recommender.synth.photo_video import SR, load_photos, make_query, music_events

MUSIC_PACKAGES = ("planetblupi-music-ogg", "warzone2100-music", "hedgewars-data", "lincity-ng-data", "supertux-data")
PHOTO_PACKAGES = ("desktop-base", "plasma-workspace-wallpapers", "mate-backgrounds")
MAX_SECONDS = 180.0
MIN_SECONDS = 45.0


def package_files(packages, pattern: str) -> list[Path]:
    import re

    out = []
    for p in packages:
        try:
            listing = subprocess.run(["dpkg", "-L", p], capture_output=True, text=True, check=True).stdout
        except (subprocess.CalledProcessError, FileNotFoundError):
            print(f"  {p} is not installed (apt-get install -y {p})")
            continue
        out += [Path(f) for f in listing.splitlines() if re.search(pattern, f, re.I) and Path(f).is_file()]
    return sorted(set(out))


def decode_head(path: Path, seconds: float = MAX_SECONDS) -> np.ndarray:
    """The first ``seconds`` of a file, mono at SR (real soundtracks can last 20 minutes)."""
    import av

    chunks, n = [], 0
    with av.open(str(path)) as c:
        rs = av.AudioResampler(format="flt", layout="mono", rate=SR)
        try:
            for frame in c.decode(c.streams.audio[0]):
                for out in rs.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
                    n += chunks[-1].size
                if n >= seconds * SR:
                    break
        except av.error.FFmpegError:  # a damaged packet: keep what decoded before it
            pass
    return np.concatenate(chunks)[: int(seconds * SR)].astype(np.float32)


def _slug(path: Path) -> str:
    return hashlib.sha1(str(path).encode()).hexdigest()[:12] + "-" + path.stem[:30].replace(" ", "_")


def real_tracks(cache: Path) -> list[tuple[str, Path]]:
    files = [f for f in package_files(MUSIC_PACKAGES, r"\.(ogg|opus)$") if "music" in str(f).lower()]
    listing = cache / "tracks.json"
    if listing.exists():
        return [(n, Path(p)) for n, p in json.loads(listing.read_text())]
    keep = []
    for f in files:
        try:
            y = decode_head(f, MIN_SECONDS + 1)
        except Exception as exc:  # noqa: BLE001 — a package file we cannot read is skipped, and said
            print(f"  skipped {f}: {exc}")
            continue
        if len(y) >= MIN_SECONDS * SR and np.abs(y).max() > 1e-3:
            keep.append((_slug(f), str(f)))
    listing.write_text(json.dumps(keep))
    return [(n, Path(p)) for n, p in keep]


def catalog_entry(cache: Path, name: str, load, model) -> ev.Entry:
    """Analysis and vectors of one track, cached: the same functions the catalog pipeline runs."""
    path = cache / "catalog" / f"{name}-{ev.MUSIC_VERSION}.pkl"
    if path.exists():
        return pickle.loads(path.read_bytes())
    entry = ev.music_entry(name, load(), SR, model)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(entry))
    return entry


def build_catalog(cache: Path, model, *, demo: int) -> tuple[list[ev.Entry], dict[str, Path]]:
    from recommender.synth.music import make_song

    tracks = real_tracks(cache)
    print(f"catalog: {len(tracks)} real tracks + {demo} demo songs")
    entries = []
    t0 = time.perf_counter()
    for i, (name, f) in enumerate(tracks):
        entries.append(catalog_entry(cache, name, lambda f=f: decode_head(f), model))
        if (i + 1) % 20 == 0:
            print(f"  {i + 1}/{len(tracks)} real tracks ({time.perf_counter() - t0:.0f} s)")
    for i in range(demo):
        entries.append(catalog_entry(cache, f"demo-{i:03d}", lambda i=i: make_song(i).audio, model))
    return entries, dict(tracks)


def build_queries(
    cache: Path, family: str, n: int, tracks: dict, *, seed: int, load=None, habits: str = ""
) -> list[Path]:
    """``n`` query videos of ``tracks`` (name → file) in ``cache/queries-{family}``, made once. ``load(name)``
    gives a track's audio and the events an editor cuts on (default: the file decoded, librosa's events);
    ``habits`` the habits family (default: ``family``)."""
    folder = cache / f"queries-{family}"
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, ord(family)])
    photos_paths = package_files(PHOTO_PACKAGES, r"\.(jpe?g|png)$")
    order = rng.permutation(len(photos_paths))
    photos = None
    names = sorted(tracks)
    out = []
    for q in range(n):
        name = names[int(rng.integers(len(names)))]
        qrng = np.random.default_rng([seed, ord(family), q])
        video = folder / f"q{q:03d}.mp4"
        if video.with_suffix(".json").exists():
            video = folder / json.loads(video.with_suffix(".json").read_text()).get("file", video.name)
        else:
            if photos is None:
                photos = load_photos([photos_paths[i] for i in order[:120]])
                print(f"  {len(photos)} photographs loaded")
            y, events = load(name) if load else _decoded_events(tracks[name])
            pick = [photos[int(i)] for i in qrng.choice(len(photos), 12, replace=False)]
            video = folder / make_query(video, y, events, pick, habits or family, qrng, track=name)["file"]
        out.append(video)
    return out


def _decoded_events(path: Path):
    y = decode_head(path)
    return y, music_events(y)


def load_queries(videos: list[Path], entries: list[ev.Entry], model, cache: Path) -> list[ev.Query]:
    index = {e.name: i for i, e in enumerate(entries)}
    out = []
    for v in videos:
        meta = json.loads(v.with_suffix(".json").read_text())
        key = cache / "analysis" / f"{v.parent.name}-{v.stem}-{ev.VIDEO_VERSION}.pkl"
        if key.exists():
            q = pickle.loads(key.read_bytes())
        else:
            q = ev.video_query(v, model, index[meta["track"]], float(meta["start"]))
            key.parent.mkdir(parents=True, exist_ok=True)
            key.write_bytes(pickle.dumps(q))
        q.truth = index[meta["track"]]
        out.append(q)
    return out


def variants() -> dict:
    from recommender.alignment import DEFAULT_WEIGHTS, WEIGHTS_PATH, Weights, load_weights

    fitted = (
        {"alignment (hand-set blend)": ("rigid", Weights.blend(1.0, DEFAULT_WEIGHTS))} if WEIGHTS_PATH.exists() else {}
    )
    return {
        "alignment (0.25 s grid)": ("rigid", Weights(content=0.0, sync=0.5, energy=0.5)),
        "alignment (default)": ("rigid", Weights.blend(1.0, load_weights())),
        **fitted,
        "events only": ("rigid", Weights(content=0.0, sync=0.0, energy=0.0, onset=1.0, metre=1.0, accent=0.5)),
        "events + energy": ("rigid", Weights(content=0.0, sync=0.0, energy=0.5, onset=1.0, metre=1.0, accent=0.5)),
    }


def pooled(entries: list[ev.Entry], queries: list[ev.Query], pool: int) -> dict[str, dict[str, float]]:
    """Default alignment over only the ``pool`` best tracks of global ranking, as the app aligns
    ``ALIGNMENT_CANDIDATES`` of a larger catalog: by the clip vector alone, and by clip vector + pace."""
    from recommender import pace
    from recommender.alignment import Weights, align, load_weights

    weights = Weights.blend(1.0, load_weights())
    vectors = np.stack([e.vector for e in entries])
    tempos = np.array([e.analysis.tempo for e in entries])
    seqs = [e.sequence for e in entries]
    ranks: dict[str, list[float]] = {"content": [], "content+pace": []}
    for q in queries:
        content = vectors @ q.vector
        fit = pace.pace_fit(pace.event_intervals(ev.video_events(q.sequence)), tempos)
        aligned = np.array([a.score for a in align(q.sequence, seqs, weights=weights, paths=0)])
        firsts = {"content": content, "content+pace": pace.blend(content, fit, weight=pace.WEIGHT)}
        for name, first in firsts.items():
            kept = np.argsort(-first, kind="stable")[:pool]
            scores = np.full(len(entries), -np.inf)
            scores[kept] = aligned[kept]
            ranks[name].append(ev.rank_of(scores, q.truth))
    return {f"align top {pool}, {k}": ev.summary(r) for k, r in ranks.items()}


def bench_setup(description: str, sets: str):
    """The command line both real-media benchmarks take, the cross-modal model and the catalog of A–D."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--queries", type=int, default=60, help="videos per query set")
    parser.add_argument("--demo", type=int, default=100, help="demo songs as distractors")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/segue-real-media"))
    parser.add_argument("--sets", default=sets)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pool", type=int, default=50, help="also align only the global top N (0: skip)")
    args = parser.parse_args()
    from recommender.models.crossmodal import load

    model = load(Path(__file__).resolve().parents[1] / "recommender" / "checkpoints" / "crossmodal.pt")
    args.cache.mkdir(parents=True, exist_ok=True)
    entries, tracks = build_catalog(args.cache, model, demo=args.demo)
    return args, model, entries, tracks


def report_set(label: str, entries: list[ev.Entry], videos: list[Path], model, args) -> None:
    """Every mode on one query set, with the random floor, printed as a table, and the default alignment's
    recall by what the pictures carry of the music."""
    queries = load_queries(videos, entries, model, args.cache)
    t0 = time.perf_counter()
    ranks: dict[str, list[float]] = {}
    results = ev.evaluate_modes(entries, queries, variants=variants(), seed=args.seed, ranks_out=ranks)
    if args.pool:
        results.update(pooled(entries, queries, args.pool))
    print(f"\nset {label}: {len(queries)} videos, {len(entries)} tracks ({time.perf_counter() - t0:.1f} s)")
    print(ev.format_table(results))
    print(by_carrier(videos, ranks["alignment (default)"]))


CARRIERS = (
    "light or flashes follow the sound",  # brightness follows the level, or flashes land on onsets
    "accents on the beat grid only",  # flashes on beats or downbeats, zoom punches or pulses, the light otherwise still
    "cuts only",  # no flash, no punch, the light does not follow: the cuts and the camera are all there is
)


def carrier(habits: dict) -> str:
    """What a query's picture carries of its music, beyond its cuts (the habits it was edited with)."""
    if habits.get("follow", 0.0) > 0 or habits.get("flash") == "onset":
        return CARRIERS[0]
    if habits.get("flash") in ("beat", "downbeat") or habits.get("punch") or habits.get("pulse"):
        return CARRIERS[1]
    return CARRIERS[2]


def by_carrier(videos: list[Path], ranks: list[float]) -> str:
    """R@1 and R@10 of the default alignment per :func:`carrier` class, as text."""
    groups: dict[str, list[float]] = {c: [] for c in CARRIERS}
    for v, r in zip(videos, ranks, strict=True):
        groups[carrier(json.loads(v.with_suffix(".json").read_text())["habits"])].append(r)
    lines = ["alignment (default) by what the picture carries:"]
    for name, r in groups.items():
        if r:
            a = np.asarray(r)
            lines.append(f"  {name:<36} {len(a):3d} videos  R@1 {(a <= 1).mean():.3f}  R@10 {(a <= 10).mean():.3f}")
    return "\n".join(lines)


def main() -> None:
    args, model, entries, tracks = bench_setup(__doc__.split("\n\n")[0], "A,B,C,D")
    for family in args.sets.split(","):
        report_set(
            family, entries, build_queries(args.cache, family, args.queries, tracks, seed=args.seed), model, args
        )


if __name__ == "__main__":
    main()
