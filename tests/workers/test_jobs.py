"""The job pattern in-process: claim by state, idempotency, leases, failure handling."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import JobFactory
from webapp.core import jobs
from webapp.core.models import Job, JobState
from webapp.core.tasks import selftest

pytestmark = pytest.mark.django_db


def run_now(job: Job) -> None:
    """Run the real task body in this process (the worker tests cover real processes)."""
    jobs.task_for(job.kind).apply(args=[job.pk], throw=True)


def test_job_runs_and_stores_result():
    job = JobFactory(params={"steps": 3, "step_seconds": 0})
    run_now(job)
    job.refresh_from_db()
    assert (job.state, job.progress, job.attempts) == (JobState.DONE, 100, 1)
    assert job.result["steps"] == 3


def test_finished_job_is_not_run_again():
    job = JobFactory(params={"steps": 2, "step_seconds": 0})
    run_now(job)
    job.refresh_from_db()
    first = (job.result, job.finished_at, job.attempts)
    run_now(job)  # a duplicate delivery
    job.refresh_from_db()
    assert (job.result, job.finished_at, job.attempts) == first


def test_bad_params_fail_with_clear_reason():
    job = JobFactory(params={"steps": 10_000})
    run_now(job)
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert "steps must be in 1..200" in job.error


def test_crash_is_recorded_with_exception_type():
    job = JobFactory(params={"steps": "many"})
    run_now(job)
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.error.startswith("ValueError:")


def test_live_lease_is_not_stolen(settings):
    settings.JOB_LEASE_SECONDS = 60
    job = JobFactory(state=JobState.RUNNING, worker="other/1/abc", heartbeat_at=timezone.now(), attempts=1)
    assert jobs.claim(job.pk, "me/2/def") is None
    job.refresh_from_db()
    assert job.worker == "other/1/abc" and job.attempts == 1


def test_expired_lease_is_claimed(settings):
    settings.JOB_LEASE_SECONDS = 5
    stale = timezone.now() - timedelta(seconds=30)
    job = JobFactory(state=JobState.RUNNING, worker="dead/1/abc", heartbeat_at=stale, attempts=1)
    claimed = jobs.claim(job.pk, "me/2/def")
    assert claimed is not None and claimed.worker == "me/2/def" and claimed.attempts == 2


def test_job_lost_on_every_attempt_gives_up(settings):
    settings.JOB_LEASE_SECONDS = 5
    settings.JOB_MAX_ATTEMPTS = 3
    stale = timezone.now() - timedelta(seconds=30)
    job = JobFactory(state=JobState.RUNNING, heartbeat_at=stale, attempts=3)
    assert jobs.claim(job.pk, "me/2/def") is None
    job.refresh_from_db()
    assert job.state == JobState.FAILED and "lost on every attempt" in job.error


def test_progress_of_a_taken_over_run_is_refused():
    job = JobFactory(state=JobState.RUNNING, worker="new/1/aaa", heartbeat_at=timezone.now())
    with pytest.raises(jobs.JobLost):
        jobs.Progress(job.pk, "old/1/zzz")(0.5)


def test_progress_span_maps_into_parent_range():
    job = JobFactory(state=JobState.RUNNING, worker="w/1/a", heartbeat_at=timezone.now())
    jobs.Progress(job.pk, "w/1/a").span(0.5, 1.0)(0.5, "half of the second half")
    job.refresh_from_db()
    assert job.progress == 75 and job.message == "half of the second half"


def test_reaper_requeues_lost_running_jobs(settings, monkeypatch):
    settings.JOB_LEASE_SECONDS = 5
    sent = []
    monkeypatch.setattr(jobs, "send", lambda job_id, task: sent.append((job_id, task.kind)))
    lost = JobFactory(state=JobState.RUNNING, heartbeat_at=timezone.now() - timedelta(seconds=60), attempts=1)
    alive = JobFactory(state=JobState.RUNNING, heartbeat_at=timezone.now(), attempts=1)
    assert jobs.requeue_lost() == 1
    assert sent == [(lost.pk, lost.kind)]
    assert Job.objects.get(pk=lost.pk).state == JobState.QUEUED
    assert Job.objects.get(pk=alive.pk).state == JobState.RUNNING


def test_create_job_once_never_queues_two_and_asks_if_due(user, monkeypatch):
    from webapp.core.jobs import create_job_once

    monkeypatch.setattr(jobs, "send", lambda job_id, task: None)  # no broker: only the rows matter here
    seen = []
    assert create_job_once(user, selftest, due=lambda last: seen.append(last) or False) is None
    assert seen == [None] and not Job.objects.exists()
    first = create_job_once(user, selftest, due=lambda last: True)
    assert first is not None and first.state == JobState.QUEUED
    assert create_job_once(user, selftest, due=lambda last: True) is None  # one is queued already
    Job.objects.filter(pk=first.pk).update(state=JobState.DONE)
    second = create_job_once(user, selftest, due=lambda last: last == first)
    assert second is not None and Job.objects.count() == 2


def test_next_stage_is_queued_once_even_when_a_stage_runs_twice(user, monkeypatch):
    from webapp.catalog.tasks import embed_track
    from webapp.core.jobs import create_next_job

    monkeypatch.setattr(jobs, "send", lambda job_id, task: None)
    analysis = JobFactory(owner=user, kind="analyze_track")
    target = JobFactory(owner=user)  # any row serves as the target here
    first = create_next_job(analysis, embed_track, target=target)
    again = create_next_job(analysis, embed_track, target=target)  # the stage ran again after a crash
    assert again == first and Job.objects.filter(kind="embed_track").count() == 1
    later = JobFactory(owner=user, kind="analyze_track")  # a new analysis (e.g. reanalyse) queues its own
    assert create_next_job(later, embed_track, target=target) != first
