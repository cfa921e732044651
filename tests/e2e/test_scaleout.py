"""The scale-out deployment, for real: PostgreSQL, Redis, gunicorn, a cpu and a gpu worker (scripts/serve).

Everything goes through HTTP, as a client of docker-compose.yml's stack would; only the exactly-once
check after a crash also counts rows in PostgreSQL itself.
"""

from __future__ import annotations

import io
import time

import numpy as np
import pytest
import soundfile as sf

from recommender.synth.music import make_song
from tests.conftest import wait_until
from tests.e2e.conftest import Api, Scaleout
from tests.media import write_shot_video

pytestmark = [pytest.mark.scaleout, pytest.mark.slow]


def song_wav(number: int, seconds: float) -> bytes:
    song = make_song(number, max_seconds=seconds)
    buf = io.BytesIO()
    sf.write(buf, song.audio, song.sr, format="WAV")
    return buf.getvalue()


def upload_track(api: Api, number: int, seconds: float) -> dict:
    files = {"file": (f"E2E Band - Song {number}.wav", song_wav(number, seconds), "audio/wav")}
    return api.ok("POST", "/api/tracks/", 201, files=files)


def jobs_of(api: Api, kind: str, target: int) -> list[dict]:
    jobs, url = [], "/api/jobs/"
    while url:
        page = api.ok("GET", url)
        jobs += [j for j in page["results"] if j["kind"] == kind and (j["target"] or {}).get("id") == target]
        url = page["next"] and page["next"].removeprefix(api.base)
    return jobs


def wait_ready(api: Api, path: str, timeout: float) -> dict:
    """Poll an object until its state is ready (failed: the test fails with its error)."""
    last: dict = {}

    def ready() -> bool:
        nonlocal last
        last = api.ok("GET", path)
        assert last["state"] != "failed", f"{path} failed: {last.get('error')}"
        return last["state"] == "ready"

    wait_until(ready, timeout, interval=0.5, what=f"{path} to be ready")
    return last


def test_the_whole_product_runs_on_postgres_and_redis(scaleout: Scaleout, tmp_path):
    api = scaleout.api
    health = api.ok("GET", "/healthz")
    assert health["database"]["engine"] == "postgresql" and health["broker"]["transport"] == "redis"
    assert {w["hostname"].split("@")[0] for w in health["workers"]["workers"]} == {"cpu", "gpu"}

    # Two short songs: analysed on the cpu worker, embedded (audio and shared space) on the gpu worker.
    tracks = [upload_track(api, number, seconds=30.0)["id"] for number in (101, 102)]
    for track_id in tracks:
        detail = wait_ready(api, f"/api/tracks/{track_id}/", 240)
        assert detail["sections"] and detail["tempo"] and detail["downbeats"] and detail["tags"]
        for kind in ("analyze_track", "embed_track"):
            (job,) = jobs_of(api, kind, track_id)
            assert job["state"] == "done" and job["attempts"] == 1, job
    similar = api.ok("GET", f"/api/tracks/{tracks[0]}/similar/?k=5")
    assert [hit["track"]["id"] for hit in similar] == [tracks[1]]
    listed = api.ok("GET", "/api/tracks/?mine=1&q=song&tempo_min=1&tempo_max=400")["results"]
    assert sorted(t["id"] for t in listed) == sorted(tracks)
    for tag in [t["tag"] for t in detail["tags"] if t["probability"] >= 0.5][:1]:  # a tag filter that matches
        assert tracks[1] in [t["id"] for t in api.ok("GET", f"/api/tracks/?tags={tag}")["results"]]

    # A video: shots on the cpu worker, shared-space vectors on the gpu worker; both recommendation modes.
    path = write_shot_video(tmp_path / "clip.mp4", seconds=6.0, cut_every=2.0)
    video = api.ok("POST", "/api/videos/", 201, files={"file": ("clip.mp4", path.read_bytes(), "video/mp4")})
    video = wait_ready(api, f"/api/videos/{video['id']}/", 240)
    assert len(video["shots"]) >= 2 and video["progress"]["percent"] == 100
    assert [v["id"] for v in api.ok("GET", "/api/videos/")["results"]] == [video["id"]]
    base = f"/api/videos/{video['id']}"
    glob = api.ok("GET", f"{base}/recommendations/?mode=global&k=5")
    assert sorted(r["track"]["id"] for r in glob) == sorted(tracks) and all(r["path"] == [] for r in glob)
    aligned = api.ok("GET", f"{base}/recommendations/?mode=alignment&k=5")
    assert aligned and {r["track"]["id"] for r in aligned} <= set(tracks)
    best = aligned[0]
    assert best["path"] and best["sync"] is not None and 0 <= best["offset_seconds"] < 30.0

    # A preview rendered on the cpu worker into the shared media folder, downloaded from the web server.
    preview = api.ok("POST", f"{base}/previews/", 202, json={"track": best["track"]["id"], "offset": 0.0})
    job = preview["job"]
    wait_until(lambda: api.ok("GET", f"/api/jobs/{job}/")["state"] in ("done", "failed"), 120, 0.5, "the preview")
    assert api.ok("GET", f"/api/jobs/{job}/")["state"] == "done"
    (listed,) = api.ok("GET", f"{base}/previews/")
    got = api.get(listed["file_url"])
    assert got.status_code == 200 and got.headers["Content-Type"] == "video/mp4"
    from recommender.video import probe_video

    (tmp_path / "preview.mp4").write_bytes(got.content)
    info = probe_video(tmp_path / "preview.mp4")
    assert info.has_audio and abs(info.duration - 6.0) < 0.3

    # The drum studio: the critic retrains in the web process at every rating.
    session = api.ok("POST", "/api/drum-sessions/", 201, json={"name": "e2e", "tempo": 120, "swing": 0.0})
    loop = api.ok("GET", f"/api/drum-sessions/{session['id']}/next/")
    for rating in ("like", "dislike", "like"):
        body = api.ok("POST", f"/api/drum-sessions/{session['id']}/ratings/", 201,
                      json={"loop": loop["id"], "rating": rating})  # fmt: skip
        loop = body["next"]
    stats = api.ok("GET", f"/api/drum-sessions/{session['id']}/")["stats"]
    assert stats["like"] == 2 and stats["dislike"] == 1
    wav = api.get(loop["audio_url"])
    assert wav.status_code == 200 and wav.headers["Content-Type"] == "audio/wav"

    # Listening feedback and a playlist for now.
    for track_id, action in ((tracks[0], "like"), (tracks[1], "skip"), (tracks[0], "play")):
        api.ok("POST", "/api/listens/", 201, json={"track": track_id, "action": action, "device": "mobile",
                                                   "context": "workout", "time": "2026-11-26T18:30"})  # fmt: skip
    assert len(api.ok("GET", "/api/listens/")["results"]) == 3
    (retrain,) = jobs_of(api, "retrain_contexts", None)
    wait_until(lambda: api.ok("GET", f"/api/jobs/{retrain['id']}/")["state"] in ("done", "failed"), 120, 0.5)
    assert api.ok("GET", f"/api/jobs/{retrain['id']}/")["state"] == "done"
    now = api.ok("GET", "/api/playlists/now/?device=mobile&time=2026-11-26T19:10&k=5")
    assert now["contexts"] and now["reason"] and "v1" in now["source"], now  # models written by the worker
    assert {item["track"]["id"] for item in now["items"]} <= set(tracks) and now["items"]


def test_a_worker_killed_mid_analysis_is_replaced_and_the_job_finishes_once(scaleout: Scaleout):
    stack, api = scaleout.stack, scaleout.api
    track = upload_track(api, 103, seconds=120.0)
    analysis = jobs_of(api, "analyze_track", track["id"])[0]["id"]
    state = wait_until(
        lambda: (row := api.ok("GET", f"/api/jobs/{analysis}/"))["state"] != "queued" and row,
        120,
        interval=0.02,
        what="the analysis to start",
    )
    assert state["state"] == "running" and state["progress"] < 80, f"the analysis ran past the kill point: {state}"
    stack.kill("worker-cpu")  # SIGKILL: the main process and its pool children, mid-task
    killed_at = time.monotonic()
    row = api.ok("GET", f"/api/jobs/{analysis}/")
    assert row["state"] == "running" and row["attempts"] == 1, row

    stack.start("worker-cpu")
    detail = wait_ready(api, f"/api/tracks/{track['id']}/", 240)
    recovered = time.monotonic() - killed_at

    # The job comes back twice: the lease reaper (every worker's heartbeat) sends it again once the lease expires,
    # and Redis returns the killed worker's unacknowledged message after its visibility timeout (kombu sweeps
    # for those every 2 s here, CELERY_RESTORE_*). Wait until Redis holds nothing unacknowledged or queued once
    # the visibility timeout has passed: every delivery, Redis's included, has been handled (read from the broker
    # itself; a worker's "received" log line is not reliable right after a restart).
    import redis

    broker = redis.Redis.from_url(stack.env["CELERY_BROKER_URL"])
    visibility = float(stack.env["CELERY_VISIBILITY_TIMEOUT"])

    def settled() -> bool:
        return (time.monotonic() - killed_at > visibility + 2 and broker.hlen("unacked") == 0
                and broker.llen("cpu") == 0)  # fmt: skip

    wait_until(settled, 240, interval=0.5, what="both redeliveries (reaper and Redis) to be handled")
    row = api.ok("GET", f"/api/jobs/{analysis}/")
    assert row["state"] == "done" and row["error"] == "", row
    assert row["attempts"] == 2, "the job ran exactly once more after the kill"
    assert row["result"]["sections"] == len(detail["sections"])
    sections = detail["sections"]
    assert [s["index"] for s in sections] == list(range(len(sections)))
    assert all(a["end"] == pytest.approx(b["start"]) for a, b in zip(sections, sections[1:], strict=False))
    (embed,) = jobs_of(api, "embed_track", track["id"])
    assert embed["state"] == "done" and embed["attempts"] == 1

    # The database itself: one track, one set of sections, one job of each kind for it.
    import psycopg

    with psycopg.connect(stack.database_url.replace("postgres://", "postgresql://")) as conn:
        (tracks,) = conn.execute("SELECT count(*) FROM catalog_track WHERE title = 'Song 103'").fetchone()
        counts = conn.execute(
            "SELECT count(*), count(DISTINCT index) FROM catalog_section WHERE track_id = %s", [track["id"]]
        ).fetchone()
        jobs = conn.execute(
            "SELECT kind, count(*) FROM core_job j JOIN django_content_type t ON t.id = j.target_type_id "
            "WHERE t.model = 'track' AND j.target_id = %s GROUP BY kind ORDER BY kind",
            [track["id"]],
        ).fetchall()
    assert tracks == 1
    assert counts == (len(sections), len(sections))
    assert jobs == [("analyze_track", 1), ("embed_track", 1)]
    assert recovered < 120, f"recovery took {recovered:.0f}s"
    assert np.isfinite(detail["tempo"])
