"""bench/footprint.py's fixed mix: one client, one request at a time, the same requests in the same order on every
run (seeded), so two stacks can be compared request kind by request kind."""

from __future__ import annotations

import random
import time
from pathlib import Path

from bench.load_media import short_video, short_wav
from bench.load_stats import Sample

DEVICES = ("mobile", "desktop", "tablet", "speaker", "car")
CONTEXTS = ("workout", "party", "relax", "sleep", "focus", "commute")


class Client:
    """The demo user's token on one keep-alive connection; every call is recorded with its latency."""

    def __init__(self, base: str, token: str, timeout: float = 120) -> None:
        import requests

        self.base, self.timeout = base, timeout
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Token {token}"
        self.samples: list[Sample] = []
        self.started: list[float] = []  # time.monotonic() at each sample's request

    def call(self, method: str, path: str, kind: str, *, ok=(200, 201), **kw):
        self.started.append(time.monotonic())
        t0 = time.perf_counter()
        try:
            res = self.http.request(method, self.base + path, timeout=self.timeout, **kw)
        except Exception as exc:  # noqa: BLE001 - recorded as "no answer"
            self.samples.append(Sample(kind, 0, time.perf_counter() - t0))
            print(f"  {method} {path}: no answer: {type(exc).__name__}")
            return None
        self.samples.append(Sample(kind, res.status_code, time.perf_counter() - t0))
        if res.status_code not in ok:
            print(f"  {method} {path}: {res.status_code} {res.text[:200]!r}")
            return None
        return res.json() if res.headers.get("Content-Type", "").startswith("application/json") else {}

    def get(self, path: str):
        """An unrecorded GET (polling for a state)."""
        res = self.http.get(self.base + path, timeout=self.timeout)
        return res.json() if res.ok else None


def wait_ready(client: Client, paths: list[str], timeout: float) -> int:
    """Poll each object until its state is ready or failed; returns how many are ready."""
    deadline = time.monotonic() + timeout
    pending = set(paths)
    ready = 0
    while pending and time.monotonic() < deadline:
        for path in sorted(pending):
            body = client.get(path)
            if body and body.get("state") in ("ready", "failed"):
                pending.discard(path)
                ready += body["state"] == "ready"
        if pending:
            time.sleep(1.0)
    return ready


def run_mix(client: Client, media_dir: Path, catalog: list[int], *, seed: int = 0, wait: float = 600) -> dict:
    """Upload 5 tracks and 2 videos, wait for their analysis, then recommendations in both modes, 40 drum ratings,
    listens and playlists, searches and similar tracks. Returns what was stored (counts)."""
    rng = random.Random(seed)
    out = {"tracks": 0, "videos": 0, "ratings": 0, "listens": 0}
    track_paths, video_paths = [], []
    for i in range(5):
        body = client.call("POST", "/api/tracks/", "POST /api/tracks/ (upload)", ok=(201,),
                           files={"file": (f"footprint-{i}.wav", short_wav(1000 + i), "audio/wav")})  # fmt: skip
        if body:
            track_paths.append(f"/api/tracks/{body['id']}/")
    for i in range(2):
        data = short_video(media_dir, 2000 + i)
        body = client.call("POST", "/api/videos/", "POST /api/videos/ (upload)", ok=(201,),
                           files={"file": (f"footprint-{i}.mp4", data, "video/mp4")})  # fmt: skip
        if body:
            video_paths.append(f"/api/videos/{body['id']}/")
    out["tracks"] = wait_ready(client, track_paths, wait)
    out["videos"] = wait_ready(client, video_paths, wait)

    session = client.call("POST", "/api/drum-sessions/", "POST /api/drum-sessions/", json={"name": "fp", "tempo": 120})
    loop = None
    if session:
        nxt = client.call("GET", f"/api/drum-sessions/{session['id']}/next/", "GET /api/drum-sessions/{id}/next/")
        loop = nxt["id"] if nxt else None
    for _round in range(8):
        for path in video_paths:
            for mode in ("alignment", "global"):
                client.call("GET", f"{path}recommendations/?mode={mode}&k=10",
                            f"GET /api/videos/{{id}}/recommendations/?mode={mode}")  # fmt: skip
        for _ in range(5):  # 40 ratings in all
            if session and loop is not None:
                body = client.call("POST", f"/api/drum-sessions/{session['id']}/ratings/",
                                   "POST /api/drum-sessions/{id}/ratings/",
                                   json={"loop": loop, "rating": rng.choice(["like", "dislike"])})  # fmt: skip
                loop = body["next"]["id"] if body else None
                out["ratings"] += body is not None
        for _ in range(4):
            device = rng.choice(DEVICES)
            data = {"track": rng.choice(catalog), "action": rng.choice(["play", "play", "like", "skip"]),
                    "device": device, "context": rng.choice(CONTEXTS)}  # fmt: skip
            body = client.call("POST", "/api/listens/", "POST /api/listens/", ok=(201,), json=data)
            out["listens"] += body is not None
        client.call("GET", f"/api/playlists/now/?device={rng.choice(DEVICES)}&k=10", "GET /api/playlists/now/")
        client.call("GET", f"/api/playlists/now/?device={rng.choice(DEVICES)}&k=20", "GET /api/playlists/now/")
        for _ in range(3):
            client.call("GET", f"/api/tracks/?q={rng.choice(['a', 'e', 'demo', 'Segue'])}", "GET /api/tracks/?q=")
            client.call("GET", f"/api/tracks/{rng.choice(catalog)}/similar/?k=5", "GET /api/tracks/{id}/similar/")
        client.call("GET", "/api/jobs/", "GET /api/jobs/")
    return out
