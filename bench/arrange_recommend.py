"""Request time of a video's recommendations in alignment mode, with and without fitted versions (`?fit=length`).

    .venv/bin/python bench/arrange_recommend.py [--tracks 4] [--copies 50] [--video 30] [--repeats 7] [--k 10] \
        [--light 0.2]

A throwaway database and index (a temporary SEGUE_VAR_DIR): ``--tracks`` real tracks (Debian's planetblupi and
warzone2100 music, the last 180 s of each, as ``bench/arrange.py``) analysed for real (``recommender.analysis``:
beats, downbeats, sections, energy, onsets, the level frame by frame; the join features kept as the analysis keeps
them), each stored ``--copies`` times with its own random shared-space vectors (the content term, not what is
measured here), so the catalog holds tracks × copies candidates. The video (``--video`` s) has shots every 1.5–4 s,
an activity curve, a light curve (the light term runs when its weight is not 0) and random vectors. The same GET
request, through Django's test client (URL routing, query validation, the ranking, serialisation), in turn: without
``&fit=length``; with it, its fitted edits dropped first (the first fitted request for a video: the best
``FIT_CANDIDATES``, default 20, each planned and aligned); and the same again (the edits kept by the process, as
when the page asks again after a filter changed); and the plain request with the light term on (``--light``: its
weight added to the fitted ones, then blended as the service blends them; the term costs nothing at weight 0). After
one warm-up of each: median and max wall time and CPU time, and the ratios to the plain request.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def analysed(path: Path, excerpt: float) -> dict:
    """The Track fields the analysis stores, for the last ``excerpt`` seconds of ``path``."""
    from recommender.analysis import analyze, spectra
    from recommender.arrange_features import downbeat_features, to_bytes
    from recommender.media import ANALYSIS_SR, load_audio
    from recommender.segments import music_segments

    y = load_audio(path, sr=ANALYSIS_SR)[-int(excerpt * ANALYSIS_SR) :]
    spec = spectra(y, ANALYSIS_SR)
    a = analyze(y, ANALYSIS_SR, spec=spec)
    feats = downbeat_features(None, ANALYSIS_SR, a.downbeats, power=spec.power, duration=a.duration)
    starts = [s.start for s in a.sections]
    return {
        "fields": {
            "duration": a.duration, "tempo": a.tempo, "beats": a.beats, "downbeats": a.downbeats,
            "energy": a.energy, "energy_hop": a.energy_hop, "onset_hop": a.onset_hop,
            "onset_envelope": a.onset_envelope.astype(np.float16).tobytes(), "join_features": to_bytes(feats),
            "frame_loudness": a.loudness.astype(np.float16).tobytes(),
            "segments": [[round(s, 3), round(e, 3)] for s, e in music_segments(a.duration, a.downbeats, starts[1:])],
        },
        "sections": [(s.start, s.end, s.label) for s in a.sections],
    }  # fmt: skip


def unit(rng: np.random.Generator, n: int, dim: int = 128) -> np.ndarray:
    v = rng.normal(size=(n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tracks", type=int, default=4)
    ap.add_argument("--copies", type=int, default=50)
    ap.add_argument("--video", type=float, default=30.0, help="video seconds")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--excerpt", type=float, default=180.0)
    ap.add_argument("--light", type=float, default=0.2, help="the light term's weight in the 'light on' request")
    args = ap.parse_args()

    from bench.arrange import default_tracks

    paths = default_tracks(args.tracks)
    if not paths:
        sys.exit("no tracks: apt-get install -y planetblupi-music-ogg warzone2100-music")
    os.environ["SEGUE_VAR_DIR"] = tempfile.mkdtemp(prefix="segue-bench-fit-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    from recommender import alignment
    from webapp.catalog.indexes import rebuild_indexes
    from webapp.catalog.models import Section, Track, TrackState, to_bytes
    from webapp.videos import services
    from webapp.videos.models import Video, VideoState

    call_command("migrate", verbosity=0)
    settings.ALLOWED_HOSTS = ["*"]
    rng = np.random.default_rng(0)
    t = time.perf_counter()
    catalog = [analysed(p, args.excerpt) for p in paths]
    print(f"analysed {len(paths)} tracks in {time.perf_counter() - t:.0f} s: " + ", ".join(p.name for p in paths))
    n = 0
    for track in catalog:
        for _ in range(args.copies):
            f = track["fields"]
            row = Track.objects.create(
                title=f"bench {n}", file=f"bench/{n}.ogg", content_hash=f"{n:064d}", shared=True,
                state=TrackState.READY, analysed_at=timezone.now(), xm_embedding=to_bytes(unit(rng, 1)[0]),
                xm_segments=to_bytes(unit(rng, len(f["segments"]))), **f,
            )  # fmt: skip
            Section.objects.bulk_create([
                Section(track=row, index=i, start=s, end=e, label=lab, xm_embedding=to_bytes(v))
                for i, ((s, e, lab), v) in enumerate(zip(track["sections"], unit(rng, len(track["sections"])),
                                                         strict=True))
            ])  # fmt: skip
            n += 1
    rebuild_indexes()
    cuts = np.cumsum(rng.uniform(1.5, 4.0, 64))
    cuts = [0.0, *[float(c) for c in cuts if c < args.video - 1.0], args.video]
    shots = [[round(a, 3), round(b, 3)] for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
    user = get_user_model().objects.create(username="bench")
    video = Video.objects.create(
        owner=user, title="bench", file="bench/video.mp4", state=VideoState.READY, duration=args.video, fps=25.0,
        shots=shots, activity=[round(float(v), 3) for v in rng.normal(size=int(args.video / 0.25))],
        activity_hop=0.25, cut_times=[s for s, _ in shots[1:]], xm_embedding=to_bytes(unit(rng, 1)[0]),
        shot_embeddings=to_bytes(unit(rng, len(shots))), analysed_at=timezone.now(),
        light=(0.05 * rng.normal(size=int(np.ceil(args.video / 0.025)))).astype(np.float16).tobytes(),
    )  # fmt: skip
    client = Client()
    client.force_login(user)
    base = f"/api/videos/{video.pk}/recommendations/?mode=alignment&k={args.k}"
    fit = base + "&fit=length"
    urls = {"plain": base, "fit=length": fit, "fit, again": fit, "light on": base}
    fitted_weights, load_weights = alignment.load_weights(), alignment.load_weights
    lit = replace(fitted_weights, light=fitted_weights.light + args.light)

    def get(name: str, url: str):
        alignment.load_weights = (lambda *a, **k: lit) if name == "light on" else load_weights
        try:
            return client.get(url)
        finally:
            alignment.load_weights = load_weights

    for name, url in urls.items():  # warm up: numba kernels, sequence caches, the index file
        res = get(name, url)
        assert res.status_code == 200, res.content[:300]
    lights = [r["light"] for r in get("light on", base).json()]
    assert any(lights), "the light term did not run"
    wall: dict[str, list[float]] = {k: [] for k in urls}
    cpu: dict[str, list[float]] = {k: [] for k in urls}
    for _ in range(args.repeats):
        for name, url in urls.items():
            if name == "fit=length":
                services._FITTED.clear()  # the first fitted request for this video: every track planned
            t, c = time.perf_counter(), time.process_time()
            res = get(name, url)
            wall[name].append((time.perf_counter() - t) * 1000)
            cpu[name].append((time.process_time() - c) * 1000)
            assert res.status_code == 200
    fitted = client.get(urls["fit=length"]).json()
    joins = [len(r["fit"]["joins"]) for r in fitted if r.get("fit")]
    print(f"{Track.objects.count()} candidate tracks, a {args.video:.0f}-s video with {len(shots)} shots, k={args.k}, "
          f"{settings.ALIGNMENT_CANDIDATES} aligned, {getattr(settings, 'FIT_CANDIDATES', 20)} fitted; "
          f"{args.repeats} requests each")  # fmt: skip
    for name in urls:
        print(f"  {name:10} wall median {statistics.median(wall[name]):7.0f} ms, max {max(wall[name]):7.0f} ms | CPU "
              f"median {statistics.median(cpu[name]):7.0f} ms")  # fmt: skip
    for name in ("fit=length", "fit, again", "light on"):
        ratio = statistics.median(wall[name]) / statistics.median(wall["plain"])
        cpu_ratio = statistics.median(cpu[name]) / statistics.median(cpu["plain"])
        print(f"{name} / plain: {ratio:.2f}x wall, {cpu_ratio:.2f}x CPU (median)")
    print(f"fitted results: {len(joins)}, joins per edit {statistics.median(joins) if joins else 0:.0f} (median)")


if __name__ == "__main__":
    main()
