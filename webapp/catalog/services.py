"""Catalog operations shared by the API, the management commands and the tasks."""

from __future__ import annotations

import hashlib
from contextlib import nullcontext
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction

from recommender.media import MediaError, probe, title_artist
from webapp.catalog.models import TagLabel, Track, TrackState
from webapp.catalog.tasks import analyze_track, reanalyse_track, retag_catalog, stale_tracks
from webapp.catalog.tasks import reanalyse_catalog as reanalyse_catalog_task
from webapp.core.jobs import create_job, create_job_once, system_user
from webapp.core.models import Job
from webapp.core.uploads import check_size, on_disk

AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".oga", ".mp3", ".m4a", ".aac", ".opus", ".aif", ".aiff",
                  ".mp4", ".mov", ".mkv", ".webm"}  # fmt: skip


class Duplicate(Exception):
    def __init__(self, track: Track) -> None:
        super().__init__(f"already in the catalog as track {track.pk} ({track})")
        self.track = track


def file_hash(fileobj) -> str:
    digest = hashlib.sha256()
    fileobj.seek(0)
    for chunk in iter(lambda: fileobj.read(1 << 20), b""):
        digest.update(chunk)
    fileobj.seek(0)
    return digest.hexdigest()


def check_media(path: Path, name: str) -> tuple[str, str, float]:
    """Probe an uploaded file: (title, artist, duration); MediaError with a clear reason otherwise."""
    if Path(name).suffix.lower() not in AUDIO_SUFFIXES:
        raise MediaError(f"{name}: unsupported file type (use {', '.join(sorted(AUDIO_SUFFIXES))})")
    info = probe(path)
    if info.duration > settings.MAX_TRACK_SECONDS:
        raise MediaError(
            f"{name}: {info.duration:.0f} s is longer than the limit of {settings.MAX_TRACK_SECONDS:.0f} s"
        )
    title, artist = title_artist(name, info.tags)
    return title, artist, info.duration


def new_content_hash(fileobj, owner) -> str:
    """The file's hash; Duplicate when this owner already has a track with that content."""
    digest = file_hash(fileobj)
    existing = Track.objects.filter(owner=owner, content_hash=digest).first()
    if existing is not None:
        raise Duplicate(existing)
    return digest


def add_track(fileobj, name: str, *, owner=None, shared: bool = False, local_path: Path | None = None) -> Track:
    """Store a file as a new track and queue its analysis; Duplicate if this owner already has it."""
    size = check_size(fileobj, name, settings.MAX_TRACK_BYTES)
    digest = new_content_hash(fileobj, owner)
    with nullcontext(local_path) if local_path and local_path.is_file() else on_disk(fileobj, name) as path:
        title, artist, _ = check_media(path, name)
    try:
        with transaction.atomic():
            track = Track(owner=owner, shared=shared, title=title, artist=artist, original_name=name[:255],
                          content_hash=digest, size_bytes=size)  # fmt: skip
            track.file.save(Path(name).name, File(fileobj), save=False)
            track.save()
            analyse(track)
    except IntegrityError:
        raise Duplicate(Track.objects.get(owner=owner, content_hash=digest))
    return track


def add_failed_track(fileobj, name: str, reason: str, *, owner=None, shared: bool = False) -> Track:
    """Keep a file that could not be used as a failed track with its reason (imports report, never drop)."""
    digest = new_content_hash(fileobj, owner)
    track = Track(owner=owner, shared=shared, title=Path(name).stem[:255], original_name=name[:255],
                  content_hash=digest, size_bytes=getattr(fileobj, "size", 0) or 0, state=TrackState.FAILED,
                  error=reason[:2000])  # fmt: skip
    track.file.save(Path(name).name, File(fileobj), save=False)
    track.save()
    return track


def analyse(track: Track):
    """Analyse a track again: a READY one in place (it stays searchable with its old analysis until the new one is
    stored), any other through the analysis → embedding pipeline (QUEUED until it finishes)."""
    owner = track.owner or system_user()
    if track.state == TrackState.READY:
        return create_job(owner, reanalyse_track, target=track)
    Track.objects.filter(pk=track.pk).update(state=TrackState.QUEUED, error="")
    return create_job(owner, analyze_track, target=track)


def reanalyse_catalog(*, everything: bool = False, dry_run: bool = False) -> tuple[int, Job | None]:
    """How many READY tracks are stale (analysed before ``ANALYSIS_VERSION``; all READY ones with ``everything``),
    and the job that re-analyses them in place, under the system user (none for a dry run or nothing to do)."""
    count = stale_tracks(everything=everything).count()
    if dry_run or not count:
        return count, None
    return count, create_job(system_user(), reanalyse_catalog_task, params={"all": everything})


def maybe_retrain(user) -> Job | None:
    """Queue a retraining once TAGGER_MIN_LABELS labels arrived since the last one (never two at once)."""

    def due(last: Job | None) -> bool:
        new_labels = TagLabel.objects.filter(created_at__gt=last.created_at) if last else TagLabel.objects.all()
        return new_labels.count() >= settings.TAGGER_MIN_LABELS

    return create_job_once(user, retag_catalog, due=due)
