"""A worker's memory: heavy modules imported once in the main process before it forks its children (they share
those pages), and freed memory given back to the system after every task (webapp/core/memory.py)."""

from __future__ import annotations

import importlib
import logging

from celery.signals import task_postrun, worker_init
from django.conf import settings

from webapp.core.memory import trim

log = logging.getLogger(__name__)


@worker_init.connect
def preload(**_: object) -> None:
    """In the main process, before the pool forks: import ``settings.WORKER_PRELOAD`` (import only: no model is
    loaded and no thread pool started, so forking stays safe)."""
    for name in settings.WORKER_PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            log.warning("WORKER_PRELOAD: cannot import %s: %s", name, exc)


@task_postrun.connect
def release(**_: object) -> None:
    """In the process that ran the task: collect its garbage and give the freed pages back."""
    trim(collect=True)
