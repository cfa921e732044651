from datetime import timedelta

import pytest
from django.utils import timezone

from webapp.core.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db


def test_healthz_503_without_a_live_worker(client):
    WorkerHeartbeat.objects.create(
        hostname="old@x", queues=["cpu", "gpu"], last_seen=timezone.now() - timedelta(hours=1)
    )
    res = client.get("/healthz")
    body = res.json()
    assert res.status_code == 503
    assert body["database"]["ok"] and body["broker"]["ok"] and not body["workers"]["ok"]


def test_healthz_needs_both_queues_consumed(client):
    WorkerHeartbeat.objects.create(hostname="cpu-only@x", queues=["cpu"])
    body = client.get("/healthz").json()
    assert body["workers"]["queues"] == {"cpu": True, "gpu": False} and not body["ok"]


def test_healthz_200_when_all_up(client):
    WorkerHeartbeat.objects.create(hostname="w@x", queues=["cpu", "gpu"], device="cpu")
    res = client.get("/healthz")
    assert res.status_code == 200 and res.json()["ok"]
    assert res.json()["workers"]["workers"][0]["hostname"] == "w@x"


def test_healthz_reports_unreachable_broker(client, settings, monkeypatch):
    from webapp.celery import app

    WorkerHeartbeat.objects.create(hostname="w@x", queues=["cpu", "gpu"])
    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:1/0")
    res = client.get("/healthz")
    assert res.status_code == 503 and not res.json()["broker"]["ok"]
    assert "error" in res.json()["broker"]
