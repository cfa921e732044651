"""The worker side: ``celery -A workers worker`` runs the project's Celery app (``webapp/celery.py``, tasks
autodiscovered in ``webapp/<app>/tasks.py``) plus this package's heartbeat and lost-job reaper."""

from workers.celery import app as celery_app

__all__ = ["celery_app"]
