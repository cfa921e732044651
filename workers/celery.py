"""What a worker process runs: the project's Celery app, plus the heartbeat that reports this worker alive."""

from __future__ import annotations

from webapp.celery import app

app.conf.imports = ("workers.heartbeat",)

__all__ = ["app"]
