"""What a worker process runs: the project's Celery app, plus the heartbeat that reports this worker alive and the
memory hooks (preload before fork, trim after each task)."""

from __future__ import annotations

from webapp.celery import app

app.conf.imports = ("workers.heartbeat", "workers.memory")

__all__ = ["app"]
