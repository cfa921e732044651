"""The scale-out stack for end-to-end tests: PostgreSQL, Redis, gunicorn and two workers (scripts/stack.py)."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests

from scripts.stack import Stack, missing
from tests.conftest import need

# Short leases and redelivery so a killed worker's job comes back in seconds, not the production minutes.
SCALEOUT_ENV = {
    "WEB_WORKERS": "2",
    "CPU_WORKER_CONCURRENCY": "2",
    "JOB_LEASE_SECONDS": "10",  # long enough that a busy, live run never loses its lease on a loaded machine
    "CELERY_VISIBILITY_TIMEOUT": "15",
    "CELERY_RESTORE_INTERVAL": "2",  # kombu's sweep for unacknowledged messages every 2 s (not every ~100 s)
    "CELERY_RESTORE_THROTTLE": "1",
    "WORKER_HEARTBEAT_SECONDS": "1",
    "CONTEXT_RETRAIN_EVERY": "3",  # the test's three listens retrain the context models on the cpu worker
}


class Api:
    """A token-authenticated HTTP client for one stack; waits out 429s (the per-scope rate limits)."""

    def __init__(self, base: str, token: str | None = None) -> None:
        self.base = base
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Token {token}"

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        for _ in range(20):
            res = self.session.request(method, self.base + path, timeout=120, **kwargs)
            if res.status_code != 429:
                return res
            time.sleep(min(float(res.headers.get("Retry-After", 2)), 10))
        return res

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def ok(self, method: str, path: str, status: int = 200, **kwargs):
        res = self.request(method, path, **kwargs)
        assert res.status_code == status, f"{method} {path}: {res.status_code} {res.text[:2000]}"
        return res.json() if "json" in res.headers.get("Content-Type", "") else res


@dataclass
class Scaleout:
    stack: Stack
    api: Api
    username: str
    password: str


@pytest.fixture(scope="module")
def scaleout(tmp_path_factory) -> Iterator[Scaleout]:
    """One stack for the module (starting it takes a while), with a user (made by manage.py) and a token."""
    need(not missing("postgres"), f"the scale-out stack needs {', '.join(missing('postgres'))}")
    with Stack("postgres", tmp_path_factory.mktemp("scaleout"), env=SCALEOUT_ENV) as stack:
        stack.create_user("e2e", "e2e-password-123")
        res = requests.post(stack.url + "/api/auth/token/", data={"username": "e2e", "password": "e2e-password-123"})
        assert res.status_code == 200, res.text
        yield Scaleout(stack, Api(stack.url, res.json()["token"]), "e2e", "e2e-password-123")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing test that used the stack shows the tail of every process's log in its report."""
    outcome = yield
    report = outcome.get_result()
    scaleout = getattr(item, "funcargs", {}).get("scaleout")
    if report.failed and isinstance(scaleout, Scaleout):
        buf = io.StringIO()
        scaleout.stack.print_logs(lines=150, file=buf)
        report.sections.append(("scale-out stack logs", buf.getvalue()))
