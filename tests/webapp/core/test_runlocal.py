"""The embedded default: `manage.py runlocal` starts web + worker; /healthz is green; Ctrl-C stops all."""

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request

import pytest
from django.conf import settings

from tests.conftest import ROOT, wait_until

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthz(port: int) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=3) as res:
            return json.load(res)
    except Exception:  # noqa: BLE001 - not up yet (connection refused or 503)
        return None


def children_of(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def start(var_dir, port: int) -> subprocess.Popen:
    env = {**os.environ, "SEGUE_VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "webapp.settings"}
    env.pop("SEGUE_TEST_BROKER", None)
    return subprocess.Popen(
        [sys.executable, "manage.py", "runlocal", "--port", str(port), "--no-seed", "--concurrency", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop(proc: subprocess.Popen) -> str:
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    return out


def test_runlocal_serves_health_with_worker_and_stops_on_ctrl_c(tmp_path):
    port = free_port()
    proc = start(tmp_path, port)
    try:
        report = wait_until(lambda: (h := healthz(port)) and h["ok"] and h, 120, interval=0.5, what="/healthz ok")
        assert report["workers"]["queues"] == {"cpu": True, "gpu": True}
        assert report["broker"]["transport"] == "sql"
        kids = children_of(proc.pid)
        assert len(kids) == (3 if settings.WORKER_SPLIT else 2)  # web server, cpu and gpu workers (or one for both)
    finally:
        out = stop(proc)
    assert proc.returncode == 0, out
    assert "demo user: demo" in out and "Segue stopped." in out
    assert all(not os.path.exists(f"/proc/{k}") for k in kids), "web server or worker outlived Ctrl-C"
    creds = json.loads((tmp_path / "demo-credentials.json").read_text())

    # Running it twice is harmless: same database, same demo credentials.
    proc = start(tmp_path, port)
    try:
        wait_until(lambda: (h := healthz(port)) and h["ok"], 120, interval=0.5, what="/healthz ok again")
    finally:
        out = stop(proc)
    assert f"password: {creds['password']}" in out
