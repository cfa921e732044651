"""GET /healthz: database, broker and worker reachability; 200 only when all are up."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from webapp.core.models import WorkerHeartbeat


def check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True, "engine": connection.vendor}


def check_broker() -> dict:
    from webapp.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=3)
        return {"ok": True, "transport": conn.transport.driver_type}


def check_workers() -> dict:
    cutoff = timezone.now() - timedelta(seconds=settings.WORKER_STALE_SECONDS)
    alive = list(WorkerHeartbeat.objects.filter(last_seen__gte=cutoff).order_by("hostname"))
    queues = {q: any(q in w.queues for w in alive) for q in ("cpu", "gpu")}
    return {
        "ok": bool(alive) and all(queues.values()),
        "queues": queues,
        "workers": [
            {"hostname": w.hostname, "queues": w.queues, "device": w.device, "last_seen": w.last_seen.isoformat()}
            for w in alive
        ],
    }


@never_cache
def healthz(request):
    report = {}
    for name, check in (("database", check_database), ("broker", check_broker), ("workers", check_workers)):
        try:
            report[name] = check()
        except Exception as exc:  # noqa: BLE001 - any failure is "down", with the reason
            report[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    ok = all(part["ok"] for part in report.values())
    return JsonResponse({"ok": ok, **report}, status=200 if ok else 503)
