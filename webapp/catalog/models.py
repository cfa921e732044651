"""The music catalog: tracks with their analysis, sections, embeddings and context tags.

Visibility: shared tracks (seeded or imported by an admin) are everyone's catalog; a user's uploads
are private to them unless published.
"""

from __future__ import annotations

import secrets

import numpy as np
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from webapp.core.models import JobTarget


class TrackState(models.TextChoices):
    QUEUED = "queued", "Queued"
    ANALYZING = "analyzing", "Analysing"
    EMBEDDING = "embedding", "Embedding"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


# Track columns a brief reads (webapp/catalog/briefs.py caches them per process, per CatalogVersion token)
TRAIT_FIELDS = frozenset({"tempo", "loudness", "mode", "key", "title", "artist"})


class CatalogVersion(models.Model):
    """A token that changes with every write to tracks' traits or tags, in the same transaction as the write.

    Per-process caches of the whole catalog's traits (``webapp/catalog/briefs.py``) compare it, one primary-key
    read, instead of re-reading 10,000 rows per request. The token is random, not a counter, so a rolled-back
    write cannot bring back a token that a cache holds for other data. Writes through the ORM bump it (saves,
    deletes, ``QuerySet.update``/``bulk_create``/``delete`` of tracks and tags); raw SQL does not.
    """

    name = models.CharField(max_length=32, primary_key=True)
    token = models.BigIntegerField(default=0)

    TRAITS = "traits"

    @classmethod
    def current(cls, name: str = TRAITS) -> int | None:
        return cls.objects.filter(pk=name).values_list("token", flat=True).first()

    @classmethod
    def bump(cls, name: str = TRAITS) -> None:
        token = secrets.randbits(62)
        if not cls.objects.filter(pk=name).update(token=token):
            cls.objects.bulk_create([cls(name=name, token=token)], ignore_conflicts=True)
            cls.objects.filter(pk=name).update(token=token)


class VersionedQuerySet(models.QuerySet):
    """Bulk writes that change what a brief reads bump ``CatalogVersion`` (saves and deletes: the signals below)."""

    versioned_fields: frozenset[str] | None = None  # None: every update counts

    def update(self, **kwargs) -> int:
        n = super().update(**kwargs)
        if n and (self.versioned_fields is None or self.versioned_fields & kwargs.keys()):
            CatalogVersion.bump()
        return n

    def bulk_create(self, objs, *args, **kwargs):
        created = super().bulk_create(objs, *args, **kwargs)
        if created:
            CatalogVersion.bump()
        return created

    def delete(self):
        deleted = super().delete()
        if deleted[0]:
            CatalogVersion.bump()
        return deleted


class TrackQuerySet(VersionedQuerySet):
    versioned_fields = TRAIT_FIELDS

    def visible_to(self, user) -> TrackQuerySet:
        if user is None or not user.is_authenticated:
            return self.filter(Q(shared=True) | Q(public=True))
        return self.filter(Q(shared=True) | Q(public=True) | Q(owner=user))

    def ready(self) -> TrackQuerySet:
        return self.filter(state=TrackState.READY)


def vector_field(**kwargs) -> models.BinaryField:
    return models.BinaryField(null=True, blank=True, editable=False, **kwargs)


def to_bytes(v: np.ndarray) -> bytes:
    return np.asarray(v, dtype=np.float32).tobytes()


def from_bytes(b: bytes | memoryview | None) -> np.ndarray | None:
    return None if b is None else np.frombuffer(bytes(b), dtype=np.float32)


class Track(JobTarget):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                              related_name="tracks")  # fmt: skip
    shared = models.BooleanField(default=False, help_text="part of the shared catalog (seeded or admin import)")
    public = models.BooleanField(default=False, help_text="published by its owner")
    title = models.CharField(max_length=255)
    artist = models.CharField(max_length=255, blank=True, default="")
    file = models.FileField(upload_to="tracks/%Y/%m/", max_length=500)
    original_name = models.CharField(max_length=255, blank=True, default="")
    content_hash = models.CharField(max_length=64, db_index=True)
    size_bytes = models.PositiveBigIntegerField(default=0)
    state = models.CharField(max_length=16, choices=TrackState.choices, default=TrackState.QUEUED, db_index=True)
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    analysed_at = models.DateTimeField(null=True, blank=True)
    analysis_version = models.PositiveIntegerField(
        default=0, help_text="recommender.analysis.ANALYSIS_VERSION of the stored analysis (0: before versions)"
    )
    # Analysis
    duration = models.FloatField(null=True, blank=True)
    tempo = models.FloatField(null=True, blank=True, db_index=True)
    key = models.CharField(max_length=3, blank=True, default="")
    mode = models.CharField(max_length=5, blank=True, default="")
    key_confidence = models.FloatField(null=True, blank=True)
    loudness = models.FloatField(null=True, blank=True, help_text="mean energy, dB")
    beats = models.JSONField(default=list, blank=True)
    downbeats = models.JSONField(default=list, blank=True)
    energy = models.JSONField(default=list, blank=True)
    energy_hop = models.FloatField(default=0.5)
    waveform = models.JSONField(default=list, blank=True, help_text="peak amplitude per pixel column")
    passages = models.BinaryField(null=True, blank=True, editable=False,
                                  help_text="chroma + MFCC per 0.5-s block, float16 (blocks, 24)")  # fmt: skip
    highlight_start = models.FloatField(null=True, blank=True, help_text="the highlight (chorus) span, seconds")
    highlight_end = models.FloatField(null=True, blank=True)
    onset_envelope = models.BinaryField(null=True, blank=True, editable=False,
                                        help_text="onset strength 0..1, float16, one value per onset_hop")  # fmt: skip
    onset_hop = models.FloatField(default=0.0, help_text="seconds per onset-envelope value (about 23 ms)")
    frame_loudness = models.BinaryField(null=True, blank=True, editable=False,
                                        help_text="level in dB, float16, one value per onset_hop: what the "
                                        "picture's light is matched against (recommender.light)")  # fmt: skip
    join_features = models.BinaryField(null=True, blank=True, editable=False,
                                       help_text="chroma, MFCC and loudness around each downbeat, float16 "
                                       "(downbeats, 52): edits to length (recommender.arrange_features)")  # fmt: skip
    # Embeddings
    embedding = vector_field()
    embedding_model = models.CharField(max_length=64, blank=True, default="")
    xm_embedding = vector_field(help_text="audio branch of the cross-modal model: the shared music–video space")
    segments = models.JSONField(default=list, blank=True, help_text="downbeat-aligned [start, end] spans, seconds")
    xm_segments = vector_field(help_text="one shared-space vector per segment, float32 (len(segments), dim)")

    objects = TrackQuerySet.as_manager()

    class Meta:
        ordering = ["title", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "content_hash"], name="unique_track_per_owner"),
        ]
        # Which tracks a user sees, answered from the index alone: a row carries ~50 KB of analysis (passages, onset
        # envelope, join features, waveform), so scanning the table to list visible ids costs 6x more (10,000 tracks)
        indexes = [models.Index(fields=["state", "shared", "public", "owner"], name="track_visible")]

    def __str__(self) -> str:
        return f"{self.artist} – {self.title}" if self.artist else self.title

    def on_job_failed(self, reason: str) -> None:
        """A READY track stays READY when a job on it fails (a re-analysis in place keeps the old analysis, which
        is still whole and searchable): the job holds the reason. Any other state is marked failed."""
        Track.objects.filter(pk=self.pk).exclude(state=TrackState.READY).update(
            state=TrackState.FAILED, error=reason[:2000]
        )

    @property
    def vector(self) -> np.ndarray | None:
        return from_bytes(self.embedding)

    @property
    def passage_blocks(self) -> np.ndarray | None:
        """Block features ``(blocks, 24)`` float32 (recommender.passages), or None before they were kept."""
        raw = self.passages
        return None if not raw else np.frombuffer(bytes(raw), dtype=np.float16).astype(np.float32).reshape(-1, 24)


class Section(models.Model):
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="sections")
    index = models.PositiveSmallIntegerField()
    start = models.FloatField(help_text="seconds")
    end = models.FloatField(help_text="seconds")
    label = models.CharField(max_length=4)
    embedding = vector_field()
    xm_embedding = vector_field()

    class Meta:
        ordering = ["track", "index"]
        constraints = [models.UniqueConstraint(fields=["track", "index"], name="unique_section_index")]

    def __str__(self) -> str:
        return f"{self.track_id}/{self.index} {self.label} {self.start:.1f}-{self.end:.1f}"


class TagSource(models.TextChoices):
    RULE = "rule", "Rules on tempo, energy and mode"
    MODEL = "model", "Tagger trained on users' labels"


class TrackTag(models.Model):
    """The catalog's probability of a context tag for a track, and where it came from."""

    objects = VersionedQuerySet.as_manager()

    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="tags")
    tag = models.CharField(max_length=16)
    probability = models.FloatField()
    source = models.CharField(max_length=8, choices=TagSource.choices)
    model_version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-probability"]
        constraints = [models.UniqueConstraint(fields=["track", "tag"], name="unique_track_tag")]


class TagLabel(models.Model):
    """A user's explicit word on a tag: added (positive) or removed (negative). Trains the tagger."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tag_labels")
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="tag_labels")
    tag = models.CharField(max_length=16)
    positive = models.BooleanField()
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "track", "tag"], name="unique_tag_label")]


@receiver(post_save, sender=Track)
def _track_saved(sender, instance: Track, created: bool, update_fields=None, raw: bool = False, **kwargs) -> None:
    if created or update_fields is None or TRAIT_FIELDS & set(update_fields):
        CatalogVersion.bump()


@receiver(post_save, sender=TrackTag)
@receiver(post_delete, sender=TrackTag)
@receiver(post_delete, sender=Track)
def _catalog_changed(sender, **kwargs) -> None:
    CatalogVersion.bump()
