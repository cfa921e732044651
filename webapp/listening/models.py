"""What users play, like and skip, where and when: the feedback behind listening contexts."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from recommender.context.situation import DEVICES
from recommender.context.tags import CONTEXT_TAGS


class Action(models.TextChoices):
    PLAY = "play", "Played"
    LIKE = "like", "Liked"
    SKIP = "skip", "Skipped"


class Listen(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="listens")
    track = models.ForeignKey("catalog.Track", on_delete=models.CASCADE, related_name="listens")
    action = models.CharField(max_length=8, choices=Action.choices)
    context = models.CharField(
        max_length=16,
        blank=True,
        default="",
        choices=[(c, c) for c in CONTEXT_TAGS],
        help_text="said by the user; empty if not",
    )
    device = models.CharField(max_length=16, choices=[(d, d) for d in DEVICES])
    local_time = models.DateTimeField(help_text="the listener's wall-clock time, stored as if it were UTC")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "created_at"])]


class ContextModelVersion(models.Model):
    """One retraining of the shared context models: its version, data size and figures."""

    version = models.PositiveIntegerField(unique=True)
    trained_at = models.DateTimeField(auto_now_add=True)
    listens = models.PositiveIntegerField(default=0)
    users = models.PositiveIntegerField(default=0)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-version"]
