"""Briefs in words: precision@10 against a keyword baseline on the demo catalog, and latency at 10,000 tracks.

    nice -n 10 .venv/bin/python bench/briefs.py [--songs 100] [--tracks 10000] [--no-quality] [--no-http]

1. The demo catalog (``make_song(0..99)``, as ``seed_demo`` makes it) is analysed (``recommender.analysis``:
   measured tempo, key, mode, loudness; tags from the catalog's rules). Each of the 60+ briefs below has its
   relevant tracks judged from the songs' *known* traits (the generator's tempo, mode and key; the measured
   loudness; titles). Two rankers, same catalog, same run: ``brief`` (recommender/brief.py with the sentence
   encoder) and ``keyword`` (brief words equal to a tag the track has at P ≥ 0.5, its mode, its key or a word of its
   title; negations not understood). Precision@10 = relevant in the top 10 / min(10, number relevant).
2. The sentence encoder's load time and the resident memory it adds (once per process).
3. Latency of each brief, once, on 10,000 tracks after the model is loaded, median and p95 (wall and CPU) over
   the briefs: through the web app's service (``webapp/catalog/briefs.py``: the catalog version token, ids of the
   visible tracks, the traits snapshot, user labels, parse, rank, reasons for a page of 50) beside the plain track
   list query (ids of one page of ``?tags=sleep``), then whole requests ``GET /api/tracks/?prompt=`` beside
   ``GET /api/tracks/?tags=sleep`` (Django's test client, a page of 50 serialised), all in the same run.
"""

from __future__ import annotations

import argparse
import atexit
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from recommender.analysis import KEY_NAMES, analyze  # noqa: E402
from recommender.brief import parse_brief, rank  # noqa: E402
from recommender.brief_traits import CatalogTraits  # noqa: E402
from recommender.context.tags import CONTEXT_TAGS, TrackTraits, rule_probabilities  # noqa: E402
from recommender.synth.music import ADJECTIVES, NOUNS, make_song  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def demo_catalog(n: int) -> tuple[CatalogTraits, list[dict]]:
    """(the catalog as Segue measures it, each song's known traits)."""
    rows, known = [], []
    for seed in range(n):
        song = make_song(seed)
        a = analyze(song.audio, song.sr)
        rows.append((a.tempo, a.mean_energy, a.mode, a.key, song.title))
        known.append({"tempo": song.tempo, "minor": song.mode == "minor", "key": song.key,
                      "loud": a.mean_energy, "title": song.title.lower()})  # fmt: skip
    tags = [[rule_probabilities(TrackTraits(r[0], r[1], r[2] == "minor"))[t] for t in CONTEXT_TAGS] for r in rows]
    catalog = CatalogTraits.from_rows(
        tempo=[r[0] for r in rows], loudness=[r[1] for r in rows], mode=[r[2] for r in rows],
        key=[r[3] for r in rows], tags=tags, texts=[f"{r[4]} Segue demo" for r in rows],
    )  # fmt: skip
    return catalog, known


def briefs(known: list[dict]) -> list[tuple[str, callable]]:
    """Briefs and their relevance on known traits; ``quiet``/``loud`` are the catalog's lower/upper third."""
    louds = np.array([k["loud"] for k in known])
    lo, hi = np.quantile(louds, [1 / 3, 2 / 3])
    slow, fast = (lambda k: k["tempo"] < 90), (lambda k: k["tempo"] > 125)
    quiet, loud = (lambda k: k["loud"] <= lo), (lambda k: k["loud"] >= hi)
    major, minor = (lambda k: not k["minor"]), (lambda k: k["minor"])
    out = [
        ("slow, calm, for sleep, not sad", lambda k: slow(k) and quiet(k) and major(k)),
        ("slow", slow), ("fast", fast), ("something quick", fast), ("laid-back groove", slow),
        ("downtempo", slow), ("uptempo and driving", lambda k: fast(k) and loud(k)),
        ("quiet and gentle", quiet), ("loud and powerful", loud), ("soft, intimate", quiet),
        ("aggressive, heavy", loud), ("in a minor key", minor), ("major key, bright", major),
        ("dark and moody", minor), ("hopeful, uplifting", major), ("sad", lambda k: minor(k) and k["tempo"] < 110),
        ("melancholic but not slow", lambda k: minor(k) and k["tempo"] >= 95),
        ("happy and upbeat", lambda k: major(k) and k["tempo"] > 115),
        ("not sad, not slow", lambda k: major(k) and k["tempo"] >= 95),
        ("fast but not loud", lambda k: fast(k) and not loud(k)),
        ("slow but loud", lambda k: slow(k) and loud(k)),
        ("workout, gym", lambda k: k["tempo"] > 110 and loud(k)),
        ("for running", lambda k: (135 <= k["tempo"] <= 190 or 70 <= k["tempo"] <= 95) and loud(k)),
        ("party", lambda k: 100 <= k["tempo"] <= 140 and loud(k)),
        ("relaxing lounge", lambda k: k["tempo"] < 105 and quiet(k)),
        ("bedtime lullaby", lambda k: k["tempo"] < 90 and quiet(k)),
        ("studying, concentration", lambda k: 75 <= k["tempo"] <= 135 and not loud(k)),
        ("road trip", lambda k: 90 <= k["tempo"] <= 135),
        ("sunrise, morning coffee", lambda k: major(k) and k["tempo"] >= 85),
        ("late night, after dark", lambda k: minor(k) or (k["tempo"] < 95 and quiet(k))),
        ("calm, no drums, minor", lambda k: quiet(k) and minor(k)),
        ("upbeat, hopeful, road trip, no vocals", lambda k: major(k) and k["tempo"] > 110),
        ("meditation", lambda k: k["tempo"] < 100 and quiet(k)),
        ("adrenaline, chase scene", lambda k: fast(k) and loud(k)),
        ("tender and romantic", lambda k: quiet(k) and k["tempo"] < 110),
        ("gloomy, ominous", minor), ("sunny and cheerful", major),
        ("mid-tempo, steady", lambda k: 95 <= k["tempo"] <= 125),
    ]  # fmt: skip
    for bpm in (60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160, 170):
        out.append((f"{bpm} bpm", lambda k, b=bpm: abs(k["tempo"] - b) <= 8))
    for tonic in (0, 2, 4, 5, 7, 9):
        out.append((f"{KEY_NAMES[tonic]} minor", lambda k, t=tonic: k["key"] == t and k["minor"]))
        out.append((f"key of {KEY_NAMES[tonic]} major", lambda k, t=tonic: k["key"] == t and not k["minor"]))
    for word in [w.lower() for w in ADJECTIVES[:6] + NOUNS[:4]]:
        out.append((word, lambda k, w=word: w in k["title"].split()))
    return out


def keyword_scores(text: str, catalog: CatalogTraits) -> np.ndarray:
    words = set(re.findall(r"[a-z#]+", text.lower()))
    score = np.zeros(len(catalog))
    for j, tag in enumerate(CONTEXT_TAGS):
        if tag in words:
            score += catalog.tags[:, j] >= 0.5
    score += np.where(catalog.minor, "minor" in words, "major" in words)
    for i, t in enumerate(catalog.texts):
        score[i] += len(words & set(t.split()))
        if catalog.key[i] >= 0 and KEY_NAMES[catalog.key[i]].lower() in words:
            score[i] += 1
    return score


def precision_at_10(scores: np.ndarray, relevant: np.ndarray) -> float:
    top = np.lexsort((np.arange(len(scores)), -scores))[:10]
    return float(relevant[top].sum()) / min(10, int(relevant.sum()))


def quality(n_songs: int) -> None:
    t = time.perf_counter()
    catalog, known = demo_catalog(n_songs)
    print(f"demo catalog: {n_songs} songs analysed in {time.perf_counter() - t:.0f} s")
    rows = briefs(known)
    p_brief, p_key, used = [], [], 0
    for text, judge in rows:
        relevant = np.array([judge(k) for k in known])
        if not relevant.any():
            continue
        used += 1
        p_brief.append(precision_at_10(rank(parse_brief(text), catalog).scores, relevant))
        p_key.append(precision_at_10(keyword_scores(text, catalog), relevant))
    b, k = np.mean(p_brief), np.mean(p_key)
    print(f"{used} briefs (of {len(rows)}; the rest have no relevant song)")
    print(f"precision@10  brief {b:.3f}   keyword baseline {k:.3f}   ratio {b / max(k, 1e-9):.2f}x")


def load_cost() -> None:
    start = rss_mb()
    import torch

    from recommender.text import embed_query, embed_texts, sentence_encoder

    before, t, c = rss_mb(), time.perf_counter(), time.process_time()
    sentence_encoder()
    load, load_cpu = time.perf_counter() - t, time.process_time() - c
    print(f"sentence encoder (once per process): loaded in {load:.1f} s ({load_cpu:.1f} s CPU); resident memory "
          f"+{before - start:.0f} MB for importing torch, then +{rss_mb() - before:.0f} MB for transformers, "
          "sentence-transformers and the weights")  # fmt: skip
    phrases = ["a rainy afternoon", "something to cry to", "chase scene", "coffee", "long walk by the sea", "key"]
    for label, fn in ((f"{torch.get_num_threads()} torch threads (torch's default)", lambda x: embed_texts([x])),
                      ("1 thread, as a brief does (embed_query)", lambda x: embed_query([x]))):  # fmt: skip
        times, cpu = [], []
        for text in phrases:
            w, p, _ = timed(lambda: fn(text))  # noqa: B023
            times.append(w)
            cpu.append(p)
        print("  " + percentiles(f"one phrase encoded on {label}", times, cpu))


def percentiles(label: str, wall: list[float], cpu: list[float] | None = None) -> str:
    """``label: median … ms, p95 … ms wall (CPU: median …, p95 …)`` from per-call seconds."""
    w = np.array(wall) * 1000
    out = f"{label}: median {np.median(w):.0f} ms, p95 {np.percentile(w, 95):.0f} ms wall"
    if cpu is not None:
        c = np.array(cpu) * 1000
        out += f" (CPU: median {np.median(c):.0f} ms, p95 {np.percentile(c, 95):.0f} ms)"
    return out


def timed(fn) -> tuple[float, float, object]:
    t, c = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - t, time.process_time() - c, out


def fill_catalog(n_tracks: int, *, heavy: bool = True):
    """``n_tracks`` READY shared tracks with random traits and rule tags in a fresh SQLite database; the user.

    ``heavy``: each row also carries what the analysis stores (passages, onset envelope, join features, waveform,
    beats, energy: ~50 KB), so the SQL that lists visible tracks scans a table of a real catalog's size."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from webapp.catalog.models import Track, TrackState, TrackTag

    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create(username="bench")
    rng = np.random.default_rng(0)
    tempo, loud = rng.uniform(60, 180, n_tracks), rng.uniform(-35, -8, n_tracks)
    minor = rng.random(n_tracks) < 0.45
    Track.objects.bulk_create([
        Track(title=f"{ADJECTIVES[i % 16]} {NOUNS[(i // 16) % 16]} {i}", artist="bench", file=f"x/{i}.ogg",
              content_hash=f"{i:064d}", state=TrackState.READY, shared=True, tempo=float(tempo[i]),
              loudness=float(loud[i]), mode="minor" if minor[i] else "major", key=KEY_NAMES[i % 12])
        for i in range(n_tracks)
    ], batch_size=2000)  # fmt: skip
    if heavy:  # what the analysis keeps on each row of a 3-minute track: the table a query scans is ~50 KB a track
        blocks, onsets, joins = (rng.random(n).astype(np.float16).tobytes() for n in (360 * 24, 7_750, 90 * 52))
        Track.objects.update(
            passages=blocks, onset_envelope=onsets, join_features=joins, duration=180.0,
            waveform=np.round(rng.random(600), 3).tolist(), beats=np.round(np.arange(0, 180, 0.5), 3).tolist(),
            downbeats=np.round(np.arange(0, 180, 2.0), 3).tolist(),
            energy=np.round(rng.uniform(-40, -8, 360), 2).tolist(),
        )  # fmt: skip
    ids = list(Track.objects.values_list("pk", flat=True))
    tags = []
    for pk, t, lo, mi in zip(ids, tempo, loud, minor, strict=True):
        probs = rule_probabilities(TrackTraits(float(t), float(lo), bool(mi)))
        tags += [TrackTag(track_id=pk, tag=tag, probability=p, source="rule") for tag, p in probs.items()]
    TrackTag.objects.bulk_create(tags, batch_size=5000)
    return user


def stage_times(service, queryset, user, text: str) -> list[float]:
    """Seconds of each stage of one brief: ids + traits, parse, rank + order, reasons for a page of 50."""
    from recommender.brief import rank

    service._parsed.cache_clear()
    t0 = time.perf_counter()
    ids, traits = service.catalog_traits(queryset, user)
    t1 = time.perf_counter()
    brief = service._parsed(text, True)
    t2 = time.perf_counter()
    ranking = rank(brief, traits)
    ranked = service.RankedBrief(ranking.brief, ids, ranking, traits)
    t3 = time.perf_counter()
    for pk in ranked.ids[:50]:
        ranked.fit(pk)
    return [t1 - t0, t2 - t1, t3 - t2, time.perf_counter() - t3]


def latency(n_tracks: int, texts: list[str], *, http: bool = True, heavy: bool = True) -> None:
    """Each brief once, over ``n_tracks``, through the service (and the API); the plain filtered list beside it."""
    var = tempfile.mkdtemp(prefix="segue-bench-briefs-")
    atexit.register(shutil.rmtree, var, True)  # ~550 MB at 10,000 heavy rows
    os.environ["SEGUE_VAR_DIR"] = var
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")
    import django

    django.setup()
    from django.test import Client
    from django.test.utils import setup_test_environment

    from webapp.catalog import briefs as service
    from webapp.catalog.filters import TAG_THRESHOLD
    from webapp.catalog.models import Track

    user = fill_catalog(n_tracks, heavy=heavy)
    size = sum(f.stat().st_size for f in Path(var).glob("segue.sqlite3*")) / 2**20
    print(f"{n_tracks} tracks in SQLite: {size:.0f} MB" + (" (rows as the analysis leaves them)" if heavy else ""))
    queryset = Track.objects.visible_to(user).ready()
    wall, _, _ = timed(lambda: service.rank_tracks(queryset, user, "warm up"))
    rebuild, _, _ = timed(lambda: service.snapshot(force=True))
    print(f"{n_tracks} tracks: first brief of the process {wall * 1000:.0f} ms (builds the traits snapshot and the "
          f"lexicon's vectors); a snapshot rebuild after a catalog write {rebuild * 1000:.0f} ms")  # fmt: skip
    from recommender import text as text_module

    text_module._query_cache.clear()  # the quality run parsed these briefs: their phrases must be encoded again
    service._parsed.cache_clear()
    walls, cpus, plain = [], [], []
    stages: dict[str, list[float]] = {k: [] for k in ("ids + traits", "parse", "rank + order", "reasons for 50")}
    for text in texts:
        t, c = time.perf_counter(), time.process_time()
        ranked = service.rank_tracks(queryset, user, text)
        for pk in ranked.ids[:50]:
            ranked.fit(pk)
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
        plain.append(timed(lambda: list(queryset.filter(tags__tag="sleep", tags__probability__gte=TAG_THRESHOLD)
                                        .values_list("pk", flat=True)[:50]))[0])  # fmt: skip
    for text in texts:  # the same briefs again, stage by stage (phrases are cached now: parse is the lexicon's)
        for k, v in zip(stages, stage_times(service, queryset, user, text), strict=True):
            stages[k].append(v)
    encoded = len(text_module._query_cache)  # phrases the first loop sent through the sentence encoder
    print(f"{n_tracks} tracks, {len(texts)} briefs, each once ({encoded} leftover phrases went through the sentence "
          "encoder)")  # fmt: skip
    print("  " + percentiles("brief through webapp/catalog/briefs.py (ids, traits, labels, parse, rank, reasons "
                             "for a page of 50)", walls, cpus))  # fmt: skip
    print("  " + percentiles("baseline: plain filtered list page (ids of ?tags=sleep, 50)", plain))
    print("  stages, median ms: " + ", ".join(f"{k} {np.median(v) * 1000:.1f}" for k, v in stages.items()))
    if not http:
        return
    setup_test_environment()
    client = Client()
    client.force_login(user)
    service._parsed.cache_clear()
    text_module._query_cache.clear()
    api: dict[str, tuple[list[float], list[float]]] = {"prompt": ([], []), "plain": ([], [])}
    for text in texts:
        for kind, params in (("prompt", {"prompt": text}), ("plain", {"tags": "sleep"})):
            w, c, res = timed(lambda p=params: client.get("/api/tracks/", p))
            assert res.status_code == 200 and res.json()["results"], res.content[:200]
            api[kind][0].append(w)
            api[kind][1].append(c)
    print("  " + percentiles("GET /api/tracks/?prompt= (whole request, a page of 50 serialised)", *api["prompt"]))
    print("  " + percentiles("baseline: GET /api/tracks/?tags=sleep (whole request, a page of 50)", *api["plain"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--songs", type=int, default=100)
    parser.add_argument("--tracks", type=int, default=10_000)
    parser.add_argument("--no-quality", action="store_true", help="only the load cost and the latency")
    parser.add_argument("--no-http", action="store_true", help="the service only, not the whole API request")
    parser.add_argument("--light-rows", action="store_true", help="tracks without the analysis's arrays on the row")
    args = parser.parse_args()
    load_cost()
    if not args.no_quality:
        quality(args.songs)
    texts = [text for text, _ in briefs([{"tempo": 100, "minor": False, "key": 0, "loud": -20, "title": ""}] * 3)]
    load = os.getloadavg()
    latency(args.tracks, texts, http=not args.no_http, heavy=not args.light_rows)
    print(f"load average before / after the latency runs (2 shared cores): {load[0]:.1f} / {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
