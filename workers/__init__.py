"""Celery app and tasks. Thin: load rows, call ``recommender``, store results, report progress."""

from workers.celery import app as celery_app

__all__ = ["celery_app"]
