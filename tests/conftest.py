"""Shared fixtures: users and API clients, and real Celery worker processes (embedded or Redis)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent
STRICT = os.environ.get("SEGUE_STRICT_TESTS") == "1"


def need(condition: bool, reason: str) -> None:
    """Skip when a system dependency is missing; in CI (SEGUE_STRICT_TESTS=1) fail instead."""
    if not condition:
        if STRICT:
            pytest.fail(f"missing in CI: {reason}")
        pytest.skip(reason)


def wait_until(predicate: Callable[[], object], timeout: float, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


# --- seeds for tests of learned behaviour --------------------------------------------------------


def learned_seeds() -> list[int]:
    """``SEGUE_TEST_SEEDS`` (e.g. ``0,1,2,3,4``; default ``0``): the seeds every learned-behaviour test runs under."""
    return [int(s) for s in os.environ.get("SEGUE_TEST_SEEDS", "0").split(",") if s.strip()]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test that takes ``seed`` checks learned behaviour: it runs once per seed in ``SEGUE_TEST_SEEDS``."""
    if "seed" in metafunc.fixturenames:
        metafunc.parametrize("seed", learned_seeds())


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "seed" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.learned)


@pytest.fixture
def user(db):
    return UserFactory(username="alice")


@pytest.fixture
def other_user(db):
    return UserFactory(username="bob")


@pytest.fixture
def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def other_api(other_user) -> APIClient:
    client = APIClient()
    client.force_authenticate(other_user)
    return client


# --- brokers and workers -------------------------------------------------------------------------


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="session")
def broker_url() -> Iterator[str]:
    """The test broker, empty: a fresh SQLite file, or a redis-server started on loopback."""
    url = settings.CELERY_BROKER_URL
    if url.startswith("redis://"):
        need(shutil.which("redis-server") is not None, "redis-server is not installed")
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        # Our own server, never one found on the port: another run's redis would be flushed under it, and stopped
        # under us when that run ends (two concurrent runs on port 6398 failed this way).
        if _port_open(port):
            pytest.fail(f"port {port} is already in use; set SEGUE_TEST_REDIS_PORT to a free port")
        proc = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        wait_until(lambda: proc.poll() is not None or _port_open(port), 10, what="redis-server")
        assert proc.poll() is None, f"redis-server exited with {proc.returncode}"
        import redis

        redis.Redis.from_url(url).flushdb()
        yield url
        proc.terminate()
        proc.wait(10)
    else:
        Path(url.split("sqlite:///", 1)[1]).unlink(missing_ok=True)
        yield url


class WorkerProcs:
    """Starts real `celery worker` processes on the test database; kills them all at teardown."""

    def __init__(self, broker: str) -> None:
        self.broker = broker
        self.procs: list[subprocess.Popen] = []

    def start(self, name: str, *, reaper: bool | None = None, **env: str) -> subprocess.Popen:
        from django.db import connection

        from webapp.core.models import WorkerHeartbeat

        if reaper is None:  # on Redis, prove the broker's own redelivery; embedded relies on the reaper
            reaper = not self.broker.startswith("redis")
        hostname = f"{name}@test"
        full_env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "webapp.settings_test",
            "DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}",
            "JOB_LEASE_SECONDS": "2",
            "WORKER_HEARTBEAT_SECONDS": "0.5",
            "JOB_REAPER": "1" if reaper else "0",
            "SEGUE_DEVICE": "cpu",
            **env,
        }
        cmd = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "workers",
            "worker",
            "-Q",
            "cpu,gpu",
            "--pool=solo",
            "-n",
            hostname,
            "--loglevel=INFO",
            "--without-mingle",
            "--without-gossip",
        ]
        proc = subprocess.Popen(cmd, cwd=ROOT, env=full_env, start_new_session=True)
        self.procs.append(proc)
        wait_until(
            lambda: proc.poll() is not None or WorkerHeartbeat.objects.filter(hostname=hostname).exists(),
            60,
            what=f"worker {hostname} to start",
        )
        assert proc.poll() is None, f"worker {hostname} exited with {proc.returncode}"
        return proc

    @staticmethod
    def kill(proc: subprocess.Popen) -> None:
        """SIGKILL the worker and everything it started, as a crash or the OOM killer would."""
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture
def workers(transactional_db, broker_url) -> Iterator[WorkerProcs]:
    procs = WorkerProcs(broker_url)
    yield procs
    procs.stop_all()
