"""Drum studio: kits, a listener's sessions, and every loop proposed in a session with its rating."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q


class DrumKitQuerySet(models.QuerySet):
    def visible_to(self, user) -> DrumKitQuerySet:
        return self.filter(Q(owner__isnull=True) | Q(owner=user))


class DrumKit(models.Model):
    """One-shot samples imported from a folder; ``owner`` empty means shared with everyone."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE)
    name = models.CharField(max_length=120)
    folder = models.CharField(max_length=500, help_text="under MEDIA_ROOT")
    instruments = models.JSONField(default=dict, help_text="instrument → sample file")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DrumKitQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class DrumSession(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="drum_sessions")
    name = models.CharField(max_length=120, blank=True, default="")
    tempo = models.FloatField(default=120.0, validators=[MinValueValidator(60), MaxValueValidator(200)])
    swing = models.FloatField(default=0.0, validators=[MinValueValidator(0), MaxValueValidator(0.75)])
    kit = models.ForeignKey(DrumKit, null=True, blank=True, on_delete=models.SET_NULL)
    seed = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return self.name or f"session {self.pk}"


class Rating(models.TextChoices):
    LIKE = "like", "Like"
    DISLIKE = "dislike", "Dislike"
    SKIP = "skip", "Skip"


class DrumLoop(models.Model):
    """A loop proposed in a session; ``rating`` is empty while it is the pending proposal."""

    session = models.ForeignKey(DrumSession, on_delete=models.CASCADE, related_name="loops")
    index = models.PositiveIntegerField()
    pattern = models.JSONField(help_text="instrument → velocity per step (0..1)")
    p_like = models.FloatField(default=0.5)
    uncertainty = models.FloatField(default=0.0)
    source = models.CharField(max_length=16, default="prior")
    choose_ms = models.FloatField(default=0.0)
    rating = models.CharField(max_length=8, choices=Rating.choices, null=True, blank=True)
    favourite = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    rated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["session", "index"]
        constraints = [models.UniqueConstraint(fields=["session", "index"], name="unique_loop_index")]

    def __str__(self) -> str:
        return f"{self.session} #{self.index} ({self.rating or 'pending'})"
