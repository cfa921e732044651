"""Creating and retrying jobs from request code; the task side lives in ``workers.jobs``."""

from __future__ import annotations

import zlib
from collections.abc import Callable

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction

from webapp.core.models import Job, JobState
from workers import jobs as worker_jobs


@transaction.atomic
def create_job(owner, kind: str, *, params: dict | None = None, target: models.Model | None = None) -> Job:
    """Create a queued job and publish it once the surrounding transaction commits."""
    job = Job.objects.create(
        owner=owner,
        kind=kind,
        params=params or {},
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=target.pk if target is not None else None,
    )
    worker_jobs.enqueue(job)
    return job


@transaction.atomic
def retry_job(job: Job) -> bool:
    """Queue a failed job again from scratch; False when it is not failed."""
    reset = Job.objects.filter(pk=job.pk, state=JobState.FAILED).update(
        state=JobState.QUEUED, progress=0, message="queued again", error="", attempts=0, result=None
    )
    if reset:
        job.refresh_from_db()
        worker_jobs.enqueue(job)
    return bool(reset)


def create_job_once(owner, kind: str, *, due: Callable[[Job | None], bool]) -> Job | None:
    """Create a ``kind`` job unless one is queued or running, when ``due(last job of that kind)`` says so.

    For model retraining triggered by requests: two concurrent requests must not both pass the check and queue
    two runs. The check and the creation are one transaction, serialised across processes (an advisory lock on
    PostgreSQL; SQLite's IMMEDIATE transactions already take the database's write lock at BEGIN).
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(kind.encode())])
        jobs = Job.objects.filter(kind=kind)
        if jobs.unfinished().exists() or not due(jobs.order_by("-created_at").first()):
            return None
        return create_job(owner, kind)
