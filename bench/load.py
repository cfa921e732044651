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
import io
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CONTEXTS = ("workout", "running", "party", "dance", "relax", "sleep", "focus", "commute", "morning", "night")
DEVICES = ("mobile", "desktop", "tablet", "speaker", "car", "tv", "other")
PASSWORD = "load-bench-pw-7f3k"  # throwaway accounts on a throwaway stack


# --- figures ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    endpoint: str  # method and route, ids replaced: "POST /api/drum-sessions/{id}/ratings/"
    status: int  # 0: no answer (connection error or timeout)
    seconds: float


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100) with linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return float("nan")
    v = sorted(values)
    pos = (len(v) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


@dataclass
class Row:
    endpoint: str
    n: int
    per_second: float
    p50_ms: float
    p95_ms: float
    ok: int
    client_errors: int
    server_errors: int
    no_answer: int


def summarise(samples: list[Sample], wall_seconds: float) -> list[Row]:
    """One row per endpoint (sorted by name) and a total row: rates are over the run's wall time."""
    groups: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        groups[s.endpoint].append(s)

    def row(name: str, group: list[Sample]) -> Row:
        times = [s.seconds * 1000 for s in group if s.status]
        return Row(
            endpoint=name, n=len(group), per_second=len(group) / wall_seconds if wall_seconds > 0 else float("nan"),
            p50_ms=percentile(times, 50), p95_ms=percentile(times, 95),
            ok=sum(200 <= s.status < 300 for s in group), client_errors=sum(400 <= s.status < 500 for s in group),
            server_errors=sum(s.status >= 500 for s in group), no_answer=sum(s.status == 0 for s in group),
        )  # fmt: skip

    return [row(name, groups[name]) for name in sorted(groups)] + [row("all", samples)]


def table(rows: list[Row], profile: str) -> str:
    lines = [
        "| profile | endpoint | requests | req/s | p50 ms | p95 ms | 2xx | 4xx | 5xx | no answer |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        name = f"**{r.endpoint}**" if r.endpoint == "all" else f"`{r.endpoint}`"
        lines.append(f"| {profile} | {name} | {r.n} | {r.per_second:.2f} | {r.p50_ms:.0f} | {r.p95_ms:.0f} | {r.ok} "
                     f"| {r.client_errors} | {r.server_errors} | {r.no_answer} |")  # fmt: skip
    return "\n".join(lines)


# --- the client ------------------------------------------------------------------------------------------


@dataclass
class Accepted:
    """What the server said it stored (2xx), to look for in the database afterwards."""

    ratings: dict[int, str] = field(default_factory=dict)  # loop id → like/dislike
    listens: dict[int, tuple[int, str]] = field(default_factory=dict)  # listen id → (track, action)
    tracks: list[int] = field(default_factory=list)
    videos: list[int] = field(default_factory=list)


class Recorder:
    def __init__(self) -> None:
        self.samples: list[Sample] = []
        self.accepted = Accepted()
        self.lock = threading.Lock()

    def add(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)


class User:
    """One account, one HTTP connection (requests.Session), its own random stream."""

    def __init__(self, base: str, name: str, token: str, rec: Recorder, seed: int, timeout: float) -> None:
        import requests

        self.base, self.name, self.rec, self.timeout = base, name, rec, timeout
        self.http = requests.Session()
        self.http.headers.update({"Authorization": f"Token {token}", "User-Agent": f"segue-load/{name}"})
        self.rng = random.Random(seed)
        self.session_id: int | None = None
        self.loop_id: int | None = None
        self.video_id: int | None = None
        self.video_ready = False
        self.video_checked = 0.0
        self.catalog: list[int] = []
        self.uploads: list[bytes] = []
        self.upload_at: list[float] = []
        self.ratings = 0
        self.recommendations = 0

    def call(self, method: str, path: str, endpoint: str, *, ok=(200, 201), **kw):
        """One request; recorded with its latency. Returns the parsed JSON of a 2xx answer, else None."""
        t0 = time.perf_counter()
        try:
            res = self.http.request(method, self.base + path, timeout=self.timeout, **kw)
            status = res.status_code
        except Exception as exc:  # noqa: BLE001 - a connection error or a timeout is a figure, not a crash
            self.rec.add(Sample(endpoint, 0, time.perf_counter() - t0))
            print(
                f"  {time.strftime('%H:%M:%S')} {self.name}: {method} {path}: no answer after "
                f"{time.perf_counter() - t0:.2f} s: {type(exc).__name__}: {str(exc)[:300]}",
                file=sys.stderr,
            )
            return None
        self.rec.add(Sample(endpoint, status, time.perf_counter() - t0))
        if status >= 500:
            print(f"  {self.name}: {method} {path}: {status} {res.text[:200]!r}", file=sys.stderr)
        if status not in ok:
            return None
        return res.json() if res.content and res.headers.get("Content-Type", "").startswith("application/json") else {}

    # setup (recorded too, in rows of their own)
    def start(self, video: bytes) -> None:
        body = self.call("POST", "/api/drum-sessions/", "POST /api/drum-sessions/",
                         json={"name": f"load {self.name}", "tempo": self.rng.choice([96, 110, 124, 140])})  # fmt: skip
        if body:
            self.session_id = body["id"]
            nxt = self.call("GET", f"/api/drum-sessions/{self.session_id}/next/", "GET /api/drum-sessions/{id}/next/")
            self.loop_id = nxt["id"] if nxt else None
        res = self.call("POST", "/api/videos/", "POST /api/videos/", ok=(201,),
                        files={"file": (f"{self.name}.mp4", video, "video/mp4")})  # fmt: skip
        if res:
            self.video_id = res["id"]
            with self.rec.lock:
                self.rec.accepted.videos.append(res["id"])

    # actions
    def rate(self) -> None:
        if self.session_id is None:
            return
        if self.loop_id is None:
            nxt = self.call("GET", f"/api/drum-sessions/{self.session_id}/next/", "GET /api/drum-sessions/{id}/next/")
            self.loop_id = nxt["id"] if nxt else None
            if self.loop_id is None:
                return
        rating = self.rng.choice(["like", "dislike"])
        loop = self.loop_id
        body = self.call("POST", f"/api/drum-sessions/{self.session_id}/ratings/",
                         "POST /api/drum-sessions/{id}/ratings/", json={"loop": loop, "rating": rating})  # fmt: skip
        if body is None:
            self.loop_id = None  # ask for the pending loop again
            return
        with self.rec.lock:
            self.rec.accepted.ratings[body["rated"]["id"]] = body["rated"]["rating"]
        self.loop_id = body["next"]["id"]
        self.ratings += 1
        if self.ratings % 10 == 0:
            self.call("GET", f"/api/drum-sessions/{self.session_id}/loops/", "GET /api/drum-sessions/{id}/loops/")

    def listen(self) -> None:
        if not self.catalog:
            return
        track = self.rng.choice(self.catalog)
        action = self.rng.choice(["play", "play", "like", "skip"])
        data = {"track": track, "action": action, "device": self.rng.choice(DEVICES)}
        if self.rng.random() < 0.5:
            data["context"] = self.rng.choice(CONTEXTS)
        body = self.call("POST", "/api/listens/", "POST /api/listens/", ok=(201,), json=data)
        if body:
            with self.rec.lock:
                self.rec.accepted.listens[body["id"]] = (track, action)
        self.call("GET", f"/api/playlists/now/?device={data['device']}&k=10", "GET /api/playlists/now/")

    def recommend(self) -> None:
        if self.video_id is not None and not self.video_ready and time.monotonic() - self.video_checked > 5:
            self.video_checked = time.monotonic()
            body = self.call("GET", f"/api/videos/{self.video_id}/", "GET /api/videos/{id}/")
            self.video_ready = bool(body) and body.get("state") == "ready"
        if self.video_ready:
            mode = self.rng.choice(["alignment", "alignment", "global"])
            self.call("GET", f"/api/videos/{self.video_id}/recommendations/?mode={mode}&k=10",
                      f"GET /api/videos/{{id}}/recommendations/?mode={mode}")  # fmt: skip
            self.recommendations += 1
            return
        q = self.rng.choice(["a", "e", "o", "Neon", "River", "Echo"])
        self.call("GET", f"/api/tracks/?q={q}", "GET /api/tracks/?q=")
        if self.catalog:
            track = self.rng.choice(self.catalog)
            self.call("GET", f"/api/tracks/{track}/similar/?k=5", "GET /api/tracks/{id}/similar/")

    def upload(self) -> None:
        data = self.uploads.pop(0)
        self.upload_at.pop(0)
        n = len(self.rec.accepted.tracks)
        res = self.call("POST", "/api/tracks/", "POST /api/tracks/", ok=(201,),
                        files={"file": (f"{self.name}-{n}.wav", data, "audio/wav")})  # fmt: skip
        if res:
            with self.rec.lock:
                self.rec.accepted.tracks.append(res["id"])

    def run(self, t0: float, seconds: float, max_actions: int, think: float) -> None:
        actions = [(self.rate, 0.40), (self.listen, 0.35), (self.recommend, 0.25)]
        for _ in range(max_actions):
            now = time.monotonic()
            if now - t0 >= seconds:
                break
            if self.upload_at and now - t0 >= self.upload_at[0]:
                self.upload()
            else:
                self.rng.choices([a for a, _ in actions], weights=[w for _, w in actions])[0]()
            time.sleep(self.rng.uniform(0, 2 * think))


# --- media made here -------------------------------------------------------------------------------------


def short_wav(seed: int, seconds: float = 8.0, sr: int = 22050) -> bytes:
    """A short, unique song-like WAV: a chord progression over a kick and hats at a random tempo."""
    import numpy as np
    import soundfile as sf

    rng = np.random.default_rng(seed)
    bpm = float(rng.uniform(80, 160))
    t = np.arange(int(seconds * sr)) / sr
    beat = 60.0 / bpm
    y = np.zeros_like(t)
    for b, start in enumerate(np.arange(0, seconds, 4 * beat)):
        root = 110 * 2 ** (int(rng.integers(0, 12)) / 12)
        span = (t >= start) & (t < start + 4 * beat)
        for ratio in (1, 1.25 if b % 2 else 1.2, 1.5):
            y[span] += 0.12 * np.sin(2 * np.pi * root * ratio * t[span])
    k = np.arange(int(0.12 * sr)) / sr
    kick = np.sin(2 * np.pi * (50 + 80 * np.exp(-k / 0.03)) * k) * np.exp(-k / 0.08)
    hat = rng.standard_normal(int(0.03 * sr)) * np.exp(-np.arange(int(0.03 * sr)) / (0.008 * sr)) * 0.2
    for i, start in enumerate(np.arange(0, seconds, beat / 2)):
        j = int(start * sr)
        hit = kick if i % 2 == 0 else hat
        n = min(hit.size, y.size - j)
        y[j : j + n] += hit[:n]
    y += 0.01 * rng.standard_normal(y.size)
    buf = io.BytesIO()
    sf.write(buf, (y / np.max(np.abs(y)) * 0.8).astype(np.float32), sr, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def short_video(folder: Path, seed: int, seconds: float = 8.0) -> bytes:
    """A silent 160×90 clip with a hard cut every 2 s (the test suite's generator)."""
    from tests.media import write_shot_video

    return write_shot_video(folder / f"clip-{seed}.mp4", seconds=seconds, cut_every=2.0, fps=12.0,
                            seed=seed).read_bytes()  # fmt: skip


# --- the stack's side: manage.py in its environment ------------------------------------------------------


def manage(env: dict, *args: str, timeout: float = 600) -> str:
    res = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=timeout)  # fmt: skip
    if res.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)[:80]} failed:\n{res.stderr[-3000:]}")
    return res.stdout


def shell_json(env: dict, code: str, data: object = None) -> object:
    """Run ``code`` in ``manage.py shell`` with ``data`` (JSON) in ``DATA``; it prints one JSON line last."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(data, fh)
    try:
        prelude = f"import json\nDATA = json.load(open({fh.name!r}))\n"
        out = manage(env, "shell", "-c", prelude + code)
    finally:
        os.unlink(fh.name)
    return json.loads(out.strip().splitlines()[-1])


CREATE_USERS = """
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
U = get_user_model()
hashed = make_password(DATA["password"])
for name in DATA["names"]:
    U.objects.update_or_create(username=name, defaults={"password": hashed, "is_active": True})
print(json.dumps(len(DATA["names"])))
"""

CHECK_STORED = """
from webapp.drums.models import DrumLoop
from webapp.listening.models import Listen
from webapp.catalog.models import Track
from webapp.videos.models import Video
ratings = {str(k): v for k, v in DrumLoop.objects.filter(pk__in=[int(i) for i in DATA["ratings"]])
           .values_list("pk", "rating")}
listens = {str(k): [t, a] for k, t, a in Listen.objects.filter(pk__in=[int(i) for i in DATA["listens"]])
           .values_list("pk", "track_id", "action")}
tracks = dict(Track.objects.filter(pk__in=DATA["tracks"]).values_list("pk", "state"))
videos = dict(Video.objects.filter(pk__in=DATA["videos"]).values_list("pk", "state"))
mine = {"session__owner__username__startswith": "load-"}
totals = {"ratings": DrumLoop.objects.filter(rating__in=["like", "dislike"], **mine).count(),
          "listens": Listen.objects.filter(user__username__startswith="load-").count(),
          "tracks": Track.objects.filter(owner__username__startswith="load-").count()}
print(json.dumps({"totals": totals, "ratings": ratings, "listens": listens,
                  "tracks": {str(k): v for k, v in tracks.items()}, "videos": {str(k): v for k, v in videos.items()}}))
"""


def verify(env: dict, acc: Accepted) -> dict:
    """Compare what the client was told was stored with what the database holds."""
    got = shell_json(env, CHECK_STORED, {"ratings": list(acc.ratings), "listens": list(acc.listens),
                                         "tracks": acc.tracks, "videos": acc.videos})  # fmt: skip
    ratings_ok = sum(got["ratings"].get(str(k)) == v for k, v in acc.ratings.items())
    listens_ok = sum(got["listens"].get(str(k)) == list(v) for k, v in acc.listens.items())
    return {
        "ratings": (len(acc.ratings), ratings_ok),
        "listens": (len(acc.listens), listens_ok),
        "tracks": (len(acc.tracks), len(got["tracks"])),
        "videos": (len(acc.videos), len(got["videos"])),
        "totals": got["totals"],  # every row of the load users: more than accepted = stored, answer lost
        "track_states": dict(sorted(_count(got["tracks"].values()).items())),
        "video_states": dict(sorted(_count(got["videos"].values()).items())),
    }


def _count(values) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for v in values:
        out[v] += 1
    return out


# --- one profile -----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
