"""bench/load.py's client: one simulated ``User`` (its own account, connection and random stream) and the
``Recorder`` of every request's figures and of what the server said it stored (``Accepted``)."""

from __future__ import annotations

import random
import sys
import threading
import time
from dataclasses import dataclass, field

from bench.load_stats import Sample

CONTEXTS = ("workout", "running", "party", "dance", "relax", "sleep", "focus", "commute", "morning", "night")
DEVICES = ("mobile", "desktop", "tablet", "speaker", "car", "tv", "other")


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
