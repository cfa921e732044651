"""Uploaded videos, their analysis, and soundtrack previews. Everything here belongs to one user."""

from __future__ import annotations

import numpy as np
from django.conf import settings
from django.db import models

from webapp.catalog.models import from_bytes, vector_field
from webapp.core.models import JobTarget


class VideoState(models.TextChoices):
    QUEUED = "queued", "Queued"
    ANALYZING = "analyzing", "Analysing"
    EMBEDDING = "embedding", "Embedding"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class Video(JobTarget):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="videos")
    title = models.CharField(max_length=255)
    file = models.FileField(upload_to="videos/%Y/%m/", max_length=500)
    original_name = models.CharField(max_length=255, blank=True, default="")
    size_bytes = models.PositiveBigIntegerField(default=0)
    state = models.CharField(max_length=16, choices=VideoState.choices, default=VideoState.QUEUED, db_index=True)
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    analysed_at = models.DateTimeField(null=True, blank=True)
    duration = models.FloatField(null=True, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    fps = models.FloatField(null=True, blank=True)
    codec = models.CharField(max_length=32, blank=True, default="")
    shots = models.JSONField(default=list, blank=True, help_text="[start, end] seconds of each shot")
    shot_colours = models.JSONField(default=list, blank=True)
    activity = models.JSONField(default=list, blank=True, help_text="picture energy, one value per activity_hop")
    activity_hop = models.FloatField(default=0.25)
    cut_times = models.JSONField(default=list, blank=True, help_text="seconds: the exact frame of each cut")
    accents = models.JSONField(default=list, blank=True, help_text="[s, 0..1] flashes, motion accents")
    light = models.BinaryField(null=True, blank=True, editable=False,
                               help_text="log brightness high-passed within shots, float16, one value per 25 ms "
                               "(recommender.light): matched against the music's level")  # fmt: skip
    tags = models.JSONField(default=dict, blank=True, help_text="context tag → probability, from its neighbours")
    xm_embedding = vector_field(help_text="video branch of the cross-modal model, whole clip")
    shot_embeddings = vector_field(help_text="one shared-space vector per shot, float32 (len(shots), dim)")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def vector(self) -> np.ndarray | None:
        return from_bytes(self.xm_embedding)

    @property
    def light_curve(self) -> np.ndarray | None:
        """The light curve ``(ceil(duration / 0.025),)`` float32, or None (analysed before it was kept)."""
        return None if not self.light else np.frombuffer(bytes(self.light), dtype=np.float16).astype(np.float32)

    @property
    def shot_vectors(self) -> np.ndarray | None:
        flat = from_bytes(self.shot_embeddings)
        return None if flat is None or not self.shots else flat.reshape(len(self.shots), -1)


class PreviewState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RENDERING = "rendering", "Rendering"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class PreviewFit(models.TextChoices):
    NONE = "none", "From the offset, cut at the video's end with a fade"
    LENGTH = "length", "Re-arranged along its bars to last exactly as long as the video"


class Preview(JobTarget):
    """The video with a catalog track as its soundtrack: from an offset, or fitted to the video's length
    (recommender.arrange: whole bars skipped or repeated, ending on the track's ending): a file to watch."""

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="previews")
    track = models.ForeignKey("catalog.Track", on_delete=models.CASCADE, related_name="previews")
    offset = models.FloatField(default=0.0, help_text="seconds into the track where the video starts")
    fit = models.CharField(max_length=8, choices=PreviewFit.choices, default=PreviewFit.NONE)
    anchors = models.JSONField(default=list, blank=True, help_text="[[music s, video s]] (fit=length); [] = default")
    plan = models.JSONField(null=True, blank=True, help_text="the fitted edit: pieces, joins, anchors (fit=length)")
    state = models.CharField(max_length=16, choices=PreviewState.choices, default=PreviewState.QUEUED)
    error = models.TextField(blank=True, default="")
    file = models.FileField(upload_to="previews/%Y/%m/", max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["video", "track", "offset", "fit", "anchors"], name="unique_preview_fit"),
        ]
