"""The one pattern for long work: a Job row, claimed by state, with progress and a lease.

A task body is a plain function ``fn(job, progress) -> dict`` made into a Celery task by :func:`job_task`.
Request code creates a job with the task object (:func:`create_job`), and the message is published once the
transaction commits. Celery delivers at least once (``acks_late``, ``reject_on_worker_lost``); the claim below
makes the work happen at most once at a time, and a finished job is never redone, so tasks are idempotent.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from celery import Task
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.db.models import F, Q
from django.utils import timezone

from webapp.celery import app
from webapp.core.models import Job, JobState

log = logging.getLogger(__name__)

JobFn = Callable[[Job, "Progress"], dict | None]


class JobError(Exception):
    """A failure whose message is meant for the user (bad input, nothing to do)."""


SYSTEM_USERNAME = "segue-system"


def system_user():
    """Whom catalog-wide work belongs to (a command-line job, the shared catalog's pipeline): the first admin,
    so their job list shows its progress, else a user that cannot log in."""
    from django.contrib.auth import get_user_model

    users = get_user_model()
    admin = users.objects.filter(is_superuser=True).order_by("pk").first()
    if admin:
        return admin
    user, created = users.objects.get_or_create(username=SYSTEM_USERNAME, defaults={"is_active": False})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def target_row(job: Job, model):
    """The job's object, fresh from the database; JobError when it was deleted meanwhile."""
    row = model.objects.filter(pk=job.target_id).first()
    if row is None:
        raise JobError(f"the {model._meta.verbose_name} was deleted")
    return row


def features_path(row) -> Path:
    """Where a stage leaves features for the next (e.g. track-12.npy): the next stage then needs no decoding."""
    return settings.MEDIA_ROOT / "features" / f"{row._meta.model_name}-{row.pk}.npy"


class JobLost(Exception):
    """This run no longer owns its job (its lease expired and another worker took it over)."""


@dataclass
class Progress:
    """Reports progress of one claimed run; every report also renews the lease."""

    job_id: int
    token: str
    start: float = 0.0
    end: float = 100.0

    def __call__(self, fraction: float, message: str = "") -> None:
        """Report ``fraction`` in [0, 1] of this (sub-)task as done."""
        fraction = min(max(float(fraction), 0.0), 1.0)
        percent = int(round(self.start + (self.end - self.start) * fraction))
        updated = Job.objects.filter(pk=self.job_id, state=JobState.RUNNING, worker=self.token).update(
            progress=percent, message=message[:255], heartbeat_at=timezone.now()
        )
        if not updated:
            raise JobLost(f"job {self.job_id} is no longer owned by this run")

    def span(self, start: float, end: float) -> Progress:
        """A child reporter mapping its own 0..1 onto [start, end] (fractions) of this one."""
        width = self.end - self.start
        return Progress(self.job_id, self.token, self.start + width * start, self.start + width * end)


def claim(job_id: int, token: str) -> Job | None:
    """Atomically take a queued job, or a running one whose lease expired; None when not ours."""
    cutoff = timezone.now() - timedelta(seconds=settings.JOB_LEASE_SECONDS)
    now = timezone.now()
    claimable = Q(state=JobState.QUEUED) | Q(state=JobState.RUNNING, heartbeat_at__lt=cutoff)
    taken = Job.objects.filter(claimable, pk=job_id, attempts__lt=settings.JOB_MAX_ATTEMPTS).update(
        state=JobState.RUNNING,
        attempts=F("attempts") + 1,
        worker=token,
        started_at=now,
        heartbeat_at=now,
        progress=0,
        message="started",
        error="",
    )
    if taken:
        return Job.objects.get(pk=job_id)
    gave_up = Job.objects.filter(claimable, pk=job_id, attempts__gte=settings.JOB_MAX_ATTEMPTS)
    if gave_up.update(state=JobState.FAILED, error="gave up: the worker was lost on every attempt", finished_at=now):
        _notify_target_failed(Job.objects.get(pk=job_id))
    return None


def _finish(job: Job, token: str, **fields: Any) -> bool:
    fields.setdefault("finished_at", timezone.now())
    return bool(Job.objects.filter(pk=job.pk, state=JobState.RUNNING, worker=token).update(**fields))


def _notify_target_failed(job: Job) -> None:
    """Mark the job's object failed too (``on_job_failed(reason)``), so the UI shows why."""
    target = job.target
    if target is not None and hasattr(target, "on_job_failed"):
        target.on_job_failed(job.error)


class LeaseKeeper(threading.Thread):
    """Renews a claimed job's lease while its run is alive, however long one step takes.

    The lease lapses only when the process dies (crash, SIGKILL, lost machine).
    """

    def __init__(self, job_id: int, token: str) -> None:
        super().__init__(name=f"lease-{job_id}", daemon=True)
        self.job_id, self.token = job_id, token
        self.done = threading.Event()

    def run(self) -> None:
        try:
            while not self.done.wait(settings.JOB_LEASE_SECONDS / 4):
                Job.objects.filter(pk=self.job_id, state=JobState.RUNNING, worker=self.token).update(
                    heartbeat_at=timezone.now()
                )
        finally:
            connection.close()


def run(task: Task, job_id: int, fn: JobFn) -> None:
    token = f"{task.request.hostname or 'local'}/{os.getpid()}/{uuid.uuid4().hex[:8]}"
    job = claim(job_id, token)
    if job is None:
        row = Job.objects.filter(pk=job_id).values("state", "heartbeat_at").first()
        if row is None or row["state"] in (JobState.DONE, JobState.FAILED):
            return  # deleted or already finished: a duplicate delivery, nothing to do
        # Held by a live run elsewhere: look again once its lease could have expired.
        raise task.retry(countdown=settings.JOB_LEASE_SECONDS, max_retries=settings.JOB_MAX_ATTEMPTS * 4)
    progress = Progress(job.pk, token)
    keeper = LeaseKeeper(job.pk, token)
    keeper.start()
    try:
        result = fn(job, progress)
    except JobLost:
        log.warning("job %s was taken over by another run; dropping this one", job_id)
        return
    except JobError as exc:
        _fail(job, token, str(exc))
    except Exception as exc:
        log.exception("job %s (%s) crashed", job_id, job.kind)
        _fail(job, token, f"{type(exc).__name__}: {exc}")
    else:
        _finish(job, token, state=JobState.DONE, progress=100, message="done", result=result or {})
    finally:
        keeper.done.set()


def _fail(job: Job, token: str, reason: str) -> None:
    if _finish(job, token, state=JobState.FAILED, error=reason[:10_000], message="failed"):
        job.error = reason
        _notify_target_failed(job)


def job_task(kind: str, *, queue: str = "cpu") -> Callable[[JobFn], Task]:
    """Make ``fn(job, progress)`` the Celery task that runs jobs of ``kind`` on ``queue``; returns the task.

    Create its jobs with ``create_job(owner, <the task>, ...)``; ``task.kind`` names them in the Job rows.
    """

    def register(fn: JobFn) -> Task:
        @app.task(name=task_name(kind), bind=True, queue=queue, acks_late=True, reject_on_worker_lost=True)
        def task(self: Task, job_id: int) -> None:
            run(self, job_id, fn)

        task.kind, task.body = kind, fn
        return task

    return register


def task_name(kind: str) -> str:
    return f"segue.{kind}"


def task_for(kind: str) -> Task:
    """The task of an existing job row (retry, re-queue after a lost worker): Celery's own registry by name."""
    app.loader.import_default_modules()  # autodiscovers webapp/<app>/tasks.py
    return app.tasks[task_name(kind)]


def send(job_id: int, task: Task) -> None:
    """Publish the message for a job now (request code uses :func:`create_job`, which waits for the commit)."""
    task.apply_async(args=[job_id], queue=task.queue)


def _enqueue(job: Job, task: Task) -> None:
    transaction.on_commit(lambda: send(job.pk, task))


@transaction.atomic
def create_job(owner, task: Task, *, params: dict | None = None, target: models.Model | None = None) -> Job:
    """Create a queued job for ``task`` and publish it once the surrounding transaction commits."""
    job = Job.objects.create(
        owner=owner,
        kind=task.kind,
        params=params or {},
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=target.pk if target is not None else None,
    )
    _enqueue(job, task)
    return job


def create_next_job(job: Job, task: Task, *, target: models.Model) -> Job:
    """Queue the next stage of a pipeline from inside ``job``'s run, once.

    If the worker dies after the hand-over committed but before ``job`` is marked done, ``job`` runs again; it then
    finds the stage it already queued (same kind and target, created since ``job`` was) instead of queueing two.
    """
    existing = Job.objects.filter(
        kind=task.kind,
        target_type=ContentType.objects.get_for_model(target),
        target_id=target.pk,
        created_at__gte=job.created_at,
    ).first()
    return existing or create_job(job.owner, task, target=target)


def create_job_once(owner, task: Task, *, due: Callable[[Job | None], bool]) -> Job | None:
    """Create a job for ``task`` unless one of its kind is queued or running, when ``due(last such job)`` says so.

    For model retraining triggered by requests: two concurrent requests must not both pass the check and queue
    two runs. The check and the creation are one transaction, serialised across processes (an advisory lock on
    PostgreSQL; SQLite's IMMEDIATE transactions already take the database's write lock at BEGIN).
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(task.kind.encode())])
        jobs = Job.objects.filter(kind=task.kind)
        if jobs.unfinished().exists() or not due(jobs.order_by("-created_at").first()):
            return None
        return create_job(owner, task)


@transaction.atomic
def retry_job(job: Job) -> bool:
    """Queue a failed job again from scratch; False when it is not failed."""
    reset = Job.objects.filter(pk=job.pk, state=JobState.FAILED).update(
        state=JobState.QUEUED, progress=0, message="queued again", error="", attempts=0, result=None
    )
    if reset:
        job.refresh_from_db()
        _enqueue(job, task_for(job.kind))
    return bool(reset)


def requeue_lost() -> int:
    """Put running jobs whose lease expired back in the queue; returns how many were re-sent.

    Redis redelivers an unacknowledged message itself after its visibility timeout; the embedded
    SQLite broker does not, so this reaper (run by every worker's heartbeat) covers both.
    """
    sent = 0
    for job_id, kind in Job.objects.lost(settings.JOB_LEASE_SECONDS).values_list("pk", "kind"):
        cutoff = timezone.now() - timedelta(seconds=settings.JOB_LEASE_SECONDS)
        if Job.objects.filter(pk=job_id, state=JobState.RUNNING, heartbeat_at__lt=cutoff).update(
            state=JobState.QUEUED, message="queued again: its worker was lost"
        ):
            send(job_id, task_for(kind))
            sent += 1
    return sent
