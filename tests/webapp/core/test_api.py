"""Jobs API, token auth, ownership, OpenAPI schema and docs."""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import JobFactory, UserFactory
from webapp.core.models import Job, JobState

pytestmark = pytest.mark.django_db


def test_token_endpoint_returns_token_that_authenticates():
    UserFactory(username="carol")
    client = APIClient()
    res = client.post("/api/auth/token/", {"username": "carol", "password": "pw-for-tests-1"})
    assert res.status_code == 200
    token = res.json()["token"]
    assert client.get("/api/jobs/").status_code in (401, 403)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/jobs/").status_code == 200


def test_token_endpoint_rejects_bad_password():
    UserFactory(username="carol")
    res = APIClient().post("/api/auth/token/", {"username": "carol", "password": "nope"})
    assert res.status_code == 400


def test_job_detail_shows_state_progress_and_timestamps(api, user):
    job = JobFactory(owner=user, state=JobState.RUNNING, progress=40, message="step 4/10", started_at=timezone.now())
    body = api.get(f"/api/jobs/{job.pk}/").json()
    assert body["state"] == "running" and body["progress"] == 40 and body["message"] == "step 4/10"
    assert body["started_at"] and body["created_at"] and body["finished_at"] is None


def test_other_users_job_is_404(api, other_api, user):
    job = JobFactory(owner=user)
    assert api.get(f"/api/jobs/{job.pk}/").status_code == 200
    assert other_api.get(f"/api/jobs/{job.pk}/").status_code == 404
    assert other_api.post(f"/api/jobs/{job.pk}/retry/").status_code == 404
    assert other_api.get("/api/jobs/").json()["results"] == []


def test_selftest_endpoint_queues_job_owned_by_caller(api, user, django_capture_on_commit_callbacks, monkeypatch):
    from webapp.core import jobs

    sent = []
    monkeypatch.setattr(jobs, "send", lambda job_id, task: sent.append((job_id, task.kind)))
    with django_capture_on_commit_callbacks(execute=True):
        res = api.post("/api/jobs/selftest/", {"steps": 5, "step_seconds": 0}, format="json")
    assert res.status_code == 202
    job = Job.objects.get(pk=res.json()["id"])
    assert job.owner == user and job.state == JobState.QUEUED and job.params == {"steps": 5, "step_seconds": 0.0}
    assert sent == [(job.pk, "selftest")]


def test_selftest_rejects_malformed_params(api):
    res = api.post("/api/jobs/selftest/", {"steps": "lots"}, format="json")
    assert res.status_code == 400 and "steps" in res.json()
    assert api.post("/api/jobs/selftest/", {"steps": 10_000}, format="json").status_code == 400


def test_retry_only_for_failed_jobs(api, user, django_capture_on_commit_callbacks, monkeypatch):
    from webapp.core import jobs

    monkeypatch.setattr(jobs, "send", lambda job_id, task: None)
    done = JobFactory(owner=user, state=JobState.DONE)
    assert api.post(f"/api/jobs/{done.pk}/retry/").status_code == 409
    failed = JobFactory(owner=user, state=JobState.FAILED, error="boom", attempts=3)
    with django_capture_on_commit_callbacks(execute=True):
        res = api.post(f"/api/jobs/{failed.pk}/retry/")
    assert res.status_code == 202
    assert res.json()["state"] == "queued" and res.json()["error"] == "" and res.json()["attempts"] == 0


def test_api_requires_authentication():
    assert APIClient().get("/api/jobs/").status_code in (401, 403)


def test_openapi_schema_and_local_docs():
    client = APIClient()
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert schema["openapi"].startswith("3.")
    assert "/api/jobs/{id}/" in schema["paths"] and "/api/auth/token/" in schema["paths"]
    docs = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in docs
    assert "cdn" not in docs.lower()
