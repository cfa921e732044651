"""Worker liveness for /healthz, and the reaper that re-queues jobs lost with a dead worker.

Every worker writes a heartbeat row every WORKER_HEARTBEAT_SECONDS from a daemon thread in its
main process. This works on every broker (the embedded SQLite transport has no remote control).
"""

from __future__ import annotations

import logging
import os
import threading

from celery.signals import worker_ready, worker_shutdown
from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from recommender.device import device_name
from webapp.core import jobs
from webapp.core.models import WorkerHeartbeat

log = logging.getLogger(__name__)
_stop = threading.Event()


def beat(hostname: str, queues: list[str], device: str) -> None:
    WorkerHeartbeat.objects.update_or_create(
        hostname=hostname,
        defaults={"queues": queues, "pid": os.getpid(), "device": device, "last_seen": timezone.now()},
    )


def worker_device(queues: list[str]) -> str:
    """Where this worker's models run. A worker that does not take the ``gpu`` queue runs none, so it says "cpu"
    without importing torch (~180 MB resident in its main process) to ask CUDA."""
    return device_name() if "gpu" in queues else "cpu"


def _loop(hostname: str, queues: list[str]) -> None:
    device = worker_device(queues)
    fresh = False
    while not _stop.is_set():
        try:  # a failure (e.g. the tables are not migrated yet) is logged and tried again, never fatal
            close_old_connections()
            if not fresh:  # a restart starts a fresh record
                WorkerHeartbeat.objects.filter(hostname=hostname).delete()
                fresh = True
            beat(hostname, queues, device)
            if settings.JOB_REAPER and (n := jobs.requeue_lost()):
                log.warning("re-queued %d job(s) whose worker was lost", n)
        except Exception:
            log.exception("heartbeat failed")
        _stop.wait(settings.WORKER_HEARTBEAT_SECONDS)


@worker_ready.connect
def start_heartbeat(sender, **_: object) -> None:
    queues = sorted(sender.app.amqp.queues.consume_from.keys())
    threading.Thread(target=_loop, args=(sender.hostname, queues), name="segue-heartbeat", daemon=True).start()


@worker_shutdown.connect
def stop_heartbeat(sender, **_: object) -> None:
    _stop.set()
    try:
        WorkerHeartbeat.objects.filter(hostname=sender.hostname).delete()
    except Exception:
        log.debug("could not remove heartbeat", exc_info=True)
