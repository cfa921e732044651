"""Load on loopback: N users with their own accounts against a whole Segue stack, on each database profile.

    .venv/bin/python bench/load.py [--profile embedded|postgres|both] [--users 20] [--seconds 120]

For each profile, ``scripts/stack.py`` starts the stack on 127.0.0.1 (embedded: SQLite + SQLite broker;
postgres: PostgreSQL + Redis, gunicorn, a cpu-queue and a gpu-queue Celery worker). Setup, not timed: a demo
catalog of ``--catalog`` songs (``manage.py seed_demo``, analysed by the workers), ``--users`` accounts
(``manage.py shell``), their tokens (``POST /api/auth/token/``), one drum session and one short video per user.

Then every user runs in its own thread for ``--seconds`` (and at most ``--max-actions`` actions), with a random
think time between actions, a mix of:

- drum studio: rate the proposed loop like/dislike (``POST …/ratings/``; the answer carries the next loop),
  now and then the session's loop history;
- listening: ``POST /api/listens/`` on a catalog track, then ``GET /api/playlists/now/``;
- recommendations: soundtracks for the user's video (alignment or global) once its analysis is done; until then
  the video's state, a track search and ``similar``;
- uploads: ``--uploads`` short generated WAVs per user, spread over the run (within the default upload
  throttle, 60/hour per user; no throttle is raised).

Printed per profile and endpoint: throughput, p50/p95 latency, 4xx, 5xx and transport errors; then whether every
accepted (2xx) rating, listen, upload and video is in the database (``manage.py shell`` in the stack's
environment, compared with the ids the client got back), and whether the web log mentions "database is locked"
or a traceback. Traffic goes to 127.0.0.1 only. ``--url`` loads a stack that is already running instead
(its settings, e.g. SEGUE_VAR_DIR or DATABASE_URL, must be in this process's environment).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load_client import CONTEXTS, DEVICES, Accepted, Recorder, User  # noqa: E402
from bench.load_db import CHECK_STORED, CREATE_USERS, manage, shell_json, verify  # noqa: E402
from bench.load_media import short_video, short_wav  # noqa: E402
from bench.load_stats import Row, Sample, percentile, summarise, table  # noqa: E402
from scripts.stack_process import free_port  # noqa: E402

# Kept importable from here (tests/bench/test_load_smoke.py uses the figures) as before the split into
# bench/load_stats.py (figures), load_client.py (the users), load_media.py and load_db.py (manage.py side).
__all__ = ["CHECK_STORED", "CONTEXTS", "CREATE_USERS", "DEVICES", "PASSWORD", "Accepted", "Recorder", "Row",
           "Sample", "User", "load", "main", "manage", "percentile", "report", "run_profile", "shell_json",
           "short_video", "short_wav", "summarise", "table", "verify"]  # fmt: skip

PASSWORD = "load-bench-pw-7f3k"  # throwaway accounts on a throwaway stack

# --- one profile -----------------------------------------------------------------------------------------


def wait_for(predicate, timeout: float, what: str, interval: float = 2.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")


def token_for(base: str, name: str) -> str:
    import requests

    res = requests.post(f"{base}/api/auth/token/", data={"username": name, "password": PASSWORD}, timeout=60)
    res.raise_for_status()
    return res.json()["token"]


def ready_catalog(base: str, token: str, want: int) -> list[int]:
    import requests

    ids, url = [], f"{base}/api/tracks/?state=ready"
    while url:
        body = requests.get(url, headers={"Authorization": f"Token {token}"}, timeout=60).json()
        ids += [t["id"] for t in body["results"]]
        url = body["next"]
    return ids if len(ids) >= want else []


def load(base: str, env: dict, args, label: str, logs=None) -> dict:
    """Set up users and a catalog on a running stack at ``base``, run the load, check what was stored."""
    assert urlsplit(base).hostname in ("127.0.0.1", "localhost"), "loopback only"
    t_setup = time.monotonic()
    print(f"[{label}] seeding {args.catalog} demo songs", flush=True)
    manage(env, "seed_demo", "--count", str(args.catalog))
    names = [f"load-{i:03d}" for i in range(args.users)]
    shell_json(env, CREATE_USERS, {"names": names, "password": PASSWORD})
    tokens = [token_for(base, n) for n in names]
    catalog = wait_for(lambda: ready_catalog(base, tokens[0], args.catalog), 900, "the demo catalog's analysis")
    rec = Recorder()
    users = [User(base, name, token, rec, seed=i, timeout=args.timeout)
             for i, (name, token) in enumerate(zip(names, tokens, strict=True))]  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="segue-load-media-") as tmp:
        for i, u in enumerate(users):
            u.catalog = catalog
            u.uploads = [short_wav(1000 * i + j) for j in range(args.uploads)]
            # spread over the run, never in the last tenth (so their analysis can start before the check)
            u.upload_at = sorted(u.rng.uniform(0, 0.9 * args.seconds) for _ in range(args.uploads))
            u.start(short_video(Path(tmp), seed=i))
    print(f"[{label}] setup {time.monotonic() - t_setup:.0f} s: {len(catalog)} ready catalog tracks, "
          f"{len(users)} users; load for {args.seconds:.0f} s", flush=True)  # fmt: skip
    setup_samples = len(rec.samples)
    t0 = time.monotonic()
    threads = [threading.Thread(target=u.run, args=(t0, args.seconds, args.max_actions, args.think), daemon=True)
               for u in users]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join(args.seconds + 3 * args.timeout)
    wall = time.monotonic() - t0
    stuck = sum(t.is_alive() for t in threads)
    samples = rec.samples[setup_samples:]
    stored = verify(env, rec.accepted)
    logs_found: dict[str, tuple[int, int]] = {}  # process → ("database is locked", "Traceback") counts
    if logs is not None:
        for name in ("web", "worker-cpu", "worker-gpu"):
            try:
                text = str(logs(name))
            except Exception:  # noqa: BLE001 - the figures stand without the log
                continue
            logs_found[name] = (text.count("database is locked"), text.count("Traceback"))
    return {
        "profile": label,
        "wall": wall,
        "rows": summarise(samples, wall),
        "stored": stored,
        "stuck_threads": stuck,
        "users_with_video_recs": sum(u.recommendations > 0 for u in users),
        "logs": logs_found,
    }


def run_profile(profile: str, args) -> dict:
    from scripts.stack import Stack

    workdir = Path(tempfile.mkdtemp(prefix=f"segue-load-{profile}-", dir=args.workdir))
    with Stack(profile, workdir, free_port()) as stack:
        return load(stack.url.rstrip("/"), dict(stack.env), args, profile, logs=stack.logs)


def report(result: dict) -> str:
    s = result["stored"]
    out = [table(result["rows"], result["profile"]), ""]
    out.append(f"{result['profile']}: load {result['wall']:.0f} s; stored afterwards (accepted → in the database): "
               f"ratings {s['ratings'][0]} → {s['ratings'][1]}, listens {s['listens'][0]} → {s['listens'][1]}, "
               f"uploads {s['tracks'][0]} → {s['tracks'][1]} {s['track_states']}, "
               f"videos {s['videos'][0]} → {s['videos'][1]} {s['video_states']}; "
               f"rows of the load users in the database: {s['totals']}; "
               f"users who got video recommendations: {result['users_with_video_recs']}; "
               f"logs ('database is locked', tracebacks): {result['logs'] or 'n/a'}; "
               f"threads still running: {result['stuck_threads']}")  # fmt: skip
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=["embedded", "postgres", "both"], default="both")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--think", type=float, default=0.25, help="mean pause between a user's actions, seconds")
    parser.add_argument("--max-actions", type=int, default=5000, help="per user: the loop's bound in count")
    parser.add_argument("--uploads", type=int, default=3, help="short WAVs uploaded per user during the run")
    parser.add_argument("--catalog", type=int, default=20, help="demo songs seeded before the run")
    parser.add_argument("--timeout", type=float, default=60.0, help="per request, seconds")
    parser.add_argument("--workdir", default=None, help="parent folder of each stack's files (default: /tmp)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--url", help="load a running stack on 127.0.0.1 instead (settings from this environment)")
    args = parser.parse_args()
    if args.url:
        results = [load(args.url.rstrip("/"), dict(os.environ), args, "attached")]
    else:
        profiles = ["embedded", "postgres"] if args.profile == "both" else [args.profile]
        results = [run_profile(p, args) for p in profiles]
    print(f"\n{args.users} users, {args.seconds:.0f} s, think {args.think} s, {args.uploads} uploads per user, "
          f"catalog {args.catalog} songs\n")  # fmt: skip
    for r in results:
        print(report(r) + "\n")
    if args.json:
        args.json.write_text(json.dumps([{**r, "rows": [vars(row) for row in r["rows"]]} for r in results], indent=1))


if __name__ == "__main__":
    main()
