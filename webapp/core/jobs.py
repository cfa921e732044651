"""Creating and retrying jobs from request code; the task side lives in ``workers.jobs``."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction

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
