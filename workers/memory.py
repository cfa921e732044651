"""A worker's memory: heavy modules imported once in the main process before it forks its children (they share
those pages), and freed memory given back to the system after every task (webapp/core/memory.py).

No ``gc.collect()`` after a task: with torch, librosa and Django loaded a full collection walks ~350,000 objects
(0.8 s on a busy 2-core machine), and the child cannot take the next task meanwhile; it halved the embedded
default's ingestion rate in bench/footprint.py. Reference counting frees the arrays of a task anyway."""

from __future__ import annotations

import gc
import importlib
import logging

from celery.signals import task_postrun, worker_init
from django.conf import settings

from webapp.core.memory import trim

log = logging.getLogger(__name__)


def preload_modules(queues: list[str]) -> list[str]:
    """What a worker on ``queues`` imports before forking: ``WORKER_PRELOAD`` (torch, the encoders, the analysis)
    when it takes the ``gpu`` queue, else ``CPU_WORKER_PRELOAD`` (no torch: no cpu-queue task imports it, and a
    child that inherits it holds ~180 MB more resident)."""
    return list(settings.WORKER_PRELOAD if "gpu" in queues else settings.CPU_WORKER_PRELOAD)


@worker_init.connect
def preload(sender=None, **_: object) -> None:
    """In the main process, before the pool forks: import :func:`preload_modules` (import only: no model is
    loaded and no thread pool started, so forking stays safe)."""
    queues = list(sender.app.amqp.queues.consume_from) if sender is not None else ["cpu", "gpu"]
    for name in preload_modules(queues):
        try:
            importlib.import_module(name)
        except ImportError as exc:
            log.warning("WORKER_PRELOAD: cannot import %s: %s", name, exc)
    gc.freeze()  # what is loaded now is permanent: collections skip it, and never write to (unshare) its pages


@task_postrun.connect
def release(**_: object) -> None:
    """In the process that ran the task: give the pages it freed back to the system (~10 ms)."""
    trim()
