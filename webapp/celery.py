"""The Celery app, beside the Django project. Two queues: ``cpu`` (decoding, analysis) and ``gpu`` (neural
inference, training). Tasks live in their apps (``webapp/<app>/tasks.py``) and are autodiscovered.

Run a worker with ``celery -A workers worker -Q cpu,gpu`` (``workers/`` adds the heartbeat); torch uses CUDA
when the host has it.
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
app.autodiscover_tasks()
