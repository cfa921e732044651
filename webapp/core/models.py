"""Jobs: one row per piece of long work, the single source of truth for its state and progress.

Celery messages only carry a job id; a task claims its row by state (see ``webapp.core.jobs``), so a
message delivered twice, or again after its worker died, never does the work twice.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone


class JobState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class JobQuerySet(models.QuerySet):
    def owned_by(self, user) -> JobQuerySet:
        return self.filter(owner=user)

    def unfinished(self) -> JobQuerySet:
        return self.filter(state__in=[JobState.QUEUED, JobState.RUNNING])

    def latest_by_target(self, model: type[models.Model], ids=None) -> dict[int, Job]:
        """The latest job (the highest id) of each object of ``model`` (of those with ``ids``), by object id."""
        jobs = self.filter(target_type=ContentType.objects.get_for_model(model))
        if ids is not None:
            jobs = jobs.filter(target_id__in=ids)
        latest: dict[int, Job] = {}
        for job in jobs.order_by("-pk"):
            latest.setdefault(job.target_id, job)
        return latest

    def latest_for(self, obj: models.Model) -> Job | None:
        """The object's latest job, if it has one."""
        return self.latest_by_target(type(obj), [obj.pk]).get(obj.pk)

    def lost(self, lease_seconds: float) -> JobQuerySet:
        """Running jobs whose heartbeat is older than the lease: their worker is presumed dead."""
        cutoff = timezone.now() - timedelta(seconds=lease_seconds)
        return self.filter(state=JobState.RUNNING, heartbeat_at__lt=cutoff)


class Job(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs")
    kind = models.CharField(max_length=64, db_index=True)
    state = models.CharField(max_length=16, choices=JobState.choices, default=JobState.QUEUED, db_index=True)
    progress = models.PositiveSmallIntegerField(default=0)
    message = models.CharField(max_length=255, blank=True, default="")
    params = models.JSONField(default=dict, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    worker = models.CharField(max_length=255, blank=True, default="")
    # The object this job works on (a track, a video, ...), if any.
    target_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.CASCADE)
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    target = GenericForeignKey("target_type", "target_id")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.state} {self.progress}%)"


class JobTarget(models.Model):
    """An object that jobs work on (a track, a video, a preview): ``state`` and ``error`` fields, the state
    ``"failed"`` among its choices. When its job fails for good the object is marked failed with the reason."""

    class Meta:
        abstract = True

    def on_job_failed(self, reason: str) -> None:
        type(self)._default_manager.filter(pk=self.pk).update(state="failed", error=reason[:2000])


class WorkerHeartbeat(models.Model):
    """Written every few seconds by each live worker; /healthz reads it (works on every broker)."""

    hostname = models.CharField(max_length=255, unique=True)
    queues = models.JSONField(default=list)
    pid = models.PositiveIntegerField(default=0)
    device = models.CharField(max_length=32, blank=True, default="")
    started_at = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.hostname} {self.queues}"
