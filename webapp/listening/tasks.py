"""Retraining the listening-context models (situation network and user-aware tagger) from feedback."""

from __future__ import annotations

from webapp.core.jobs import Progress, job_task
from webapp.core.models import Job
from webapp.listening.training import retrain


# On the gpu queue, with the embeddings: training is torch's (the situation network, the user-aware tagger), and a
# cpu-queue worker child never imports torch (~180 MB resident each, issue 17). Answers are numpy, in the web.
@job_task("retrain_contexts", queue="gpu")
def retrain_contexts(job: Job, progress: Progress) -> dict:
    progress(0.1, "training")
    version = retrain()
    return {"version": version.version, "listens": version.listens, **version.details}
