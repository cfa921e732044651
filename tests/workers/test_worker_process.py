"""Real worker processes on the configured broker (embedded SQLite, or Redis in the second pass)."""

import pytest

from recommender.diagnostics import matmul_checksum
from tests.conftest import wait_until
from tests.factories import UserFactory
from webapp.core.jobs import create_job
from webapp.core.models import Job, JobState
from webapp.core.tasks import selftest

pytestmark = [pytest.mark.worker, pytest.mark.slow]


def expected_checksum(steps: int) -> float:
    return round(sum(matmul_checksum(seed=i)[0] for i in range(steps)), 6)


def test_real_worker_runs_job_with_moving_progress(workers):
    workers.start("w1")
    job = create_job(UserFactory(), selftest, params={"steps": 12, "step_seconds": 0.25})
    seen: list[int] = []

    def finished() -> bool:
        row = Job.objects.get(pk=job.pk)
        if row.state == JobState.RUNNING:
            seen.append(row.progress)
        return row.state in (JobState.DONE, JobState.FAILED)

    wait_until(finished, 90, interval=0.05, what="the self-test job")
    job.refresh_from_db()
    assert job.state == JobState.DONE, job.error
    assert job.progress == 100 and job.finished_at and job.started_at <= job.finished_at
    assert job.result == {"steps": 12, "checksum": expected_checksum(12), "device": "cpu"}
    intermediate = sorted({p for p in seen if 0 < p < 100})
    assert len(intermediate) >= 3, f"progress did not move in steps: {seen}"
    assert seen == sorted(seen), "progress went backwards"
    assert job.attempts == 1


def test_killed_worker_task_is_redelivered_and_completes_once(workers):
    first = workers.start("doomed")
    job = create_job(UserFactory(), selftest, params={"steps": 20, "step_seconds": 0.25})
    wait_until(lambda: Job.objects.get(pk=job.pk).progress >= 20, 60, what="the job to be a fifth done")
    workers.kill(first)
    killed_at = Job.objects.get(pk=job.pk)
    assert killed_at.state == JobState.RUNNING and killed_at.progress < 100

    workers.start("rescuer")
    wait_until(lambda: Job.objects.get(pk=job.pk).state == JobState.DONE, 120, what="the redelivered job")
    job.refresh_from_db()
    assert job.attempts == 2, "the job ran exactly once more after the kill"
    assert job.worker.startswith("rescuer@test/")
    assert job.result == {"steps": 20, "checksum": expected_checksum(20), "device": "cpu"}
    assert job.error == ""


def test_failed_job_reports_reason_and_retry_succeeds(workers):
    from webapp.core.jobs import retry_job

    workers.start("w2")
    job = create_job(UserFactory(), selftest, params={"steps": 0})
    wait_until(lambda: Job.objects.get(pk=job.pk).state == JobState.FAILED, 60, what="the bad job to fail")
    job.refresh_from_db()
    assert "steps must be in 1..200" in job.error

    Job.objects.filter(pk=job.pk).update(params={"steps": 2, "step_seconds": 0})
    job.refresh_from_db()
    assert retry_job(job)
    wait_until(lambda: Job.objects.get(pk=job.pk).state == JobState.DONE, 60, what="the retried job")
