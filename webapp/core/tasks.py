"""A self-test job: proves a worker takes jobs, reports progress and stores a result."""

from __future__ import annotations

import time

from webapp.core.jobs import JobError, Progress, job_task
from webapp.core.models import Job

MAX_STEPS = 200
MAX_STEP_SECONDS = 5.0


@job_task("selftest", queue="cpu")
def selftest(job: Job, progress: Progress) -> dict:
    steps = int(job.params.get("steps", 10))
    step_seconds = float(job.params.get("step_seconds", 0.1))
    if not (1 <= steps <= MAX_STEPS) or not (0 <= step_seconds <= MAX_STEP_SECONDS):
        raise JobError(f"steps must be in 1..{MAX_STEPS} and step_seconds in 0..{MAX_STEP_SECONDS}")
    from recommender.diagnostics import matmul_checksum

    total = 0.0
    device = "cpu"
    for i in range(steps):
        checksum, device = matmul_checksum(seed=i)
        total += checksum
        time.sleep(step_seconds)
        progress((i + 1) / steps, f"step {i + 1}/{steps}")
    return {"steps": steps, "checksum": round(total, 6), "device": device}
