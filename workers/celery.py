"""The Celery app. Two queues: ``cpu`` (decoding, analysis) and ``gpu`` (neural inference, training).

Run a worker with ``celery -A workers worker -Q cpu,gpu``; torch uses CUDA when the host has it.
"""

from __future__ import annotations

import os

from celery import Celery
from kombu import Exchange, Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")

app = Celery("segue")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = tuple(Queue(name, Exchange(name), routing_key=name) for name in ("cpu", "gpu"))
app.conf.task_default_queue = "cpu"
app.conf.imports = ("workers.tasks", "workers.heartbeat")
