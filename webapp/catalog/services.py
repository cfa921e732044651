"""Catalog operations shared by the API, the management commands and the tasks."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction

from recommender.context.tagger import LearnedTagger, features
from recommender.context.tags import CONTEXT_TAGS, TrackTraits, rule_probabilities
from recommender.media import MediaError, probe, title_artist
from webapp.catalog.indexes import section_index, track_index, xm_section_index, xm_track_index
from webapp.catalog.models import Section, TagSource, Track, TrackState, TrackTag
from webapp.core.jobs import create_job

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


def add_track(fileobj, name: str, *, owner=None, shared: bool = False, local_path: Path | None = None) -> Track:
    """Store a file as a new track and queue its analysis; Duplicate if this owner already has it."""
    if (getattr(fileobj, "size", 0) or 0) > settings.MAX_TRACK_BYTES:
        raise MediaError(f"{name}: larger than the limit of {settings.MAX_TRACK_BYTES // 2**20} MB")
    digest = file_hash(fileobj)
    existing = Track.objects.filter(owner=owner, content_hash=digest).first()
    if existing is not None:
        raise Duplicate(existing)
    temp_path = getattr(fileobj, "temporary_file_path", None)
    path = local_path or (Path(temp_path()) if temp_path else None)
    if path is None or not path.is_file():
        import tempfile

        with tempfile.NamedTemporaryFile(suffix=Path(name).suffix) as tmp:
            for chunk in iter(lambda: fileobj.read(1 << 20), b""):
                tmp.write(chunk)
            tmp.flush()
            fileobj.seek(0)
            title, artist, _ = check_media(Path(tmp.name), name)
    else:
        title, artist, _ = check_media(path, name)
    try:
        with transaction.atomic():
            track = Track(owner=owner, shared=shared, title=title, artist=artist, original_name=name[:255],
                          content_hash=digest, size_bytes=getattr(fileobj, "size", 0) or 0)  # fmt: skip
            track.file.save(Path(name).name, File(fileobj), save=False)
            track.save()
            analyse(track)
    except IntegrityError:
        raise Duplicate(Track.objects.get(owner=owner, content_hash=digest))
    return track


def add_failed_track(fileobj, name: str, reason: str, *, owner=None, shared: bool = False) -> Track:
    """Keep a file that could not be used as a failed track with its reason (imports report, never drop)."""
    digest = file_hash(fileobj)
    existing = Track.objects.filter(owner=owner, content_hash=digest).first()
    if existing is not None:
        raise Duplicate(existing)
    track = Track(owner=owner, shared=shared, title=Path(name).stem[:255], original_name=name[:255],
                  content_hash=digest, size_bytes=getattr(fileobj, "size", 0) or 0, state=TrackState.FAILED,
                  error=reason[:2000])  # fmt: skip
    track.file.save(Path(name).name, File(fileobj), save=False)
    track.save()
    return track


def analyse(track: Track):
    """(Re)queue the analysis → embedding pipeline for a track."""
    Track.objects.filter(pk=track.pk).update(state=TrackState.QUEUED, error="")
    owner = track.owner or _system_user()
    return create_job(owner, "analyze_track", target=track)


def _system_user():
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username="segue-system", defaults={"is_active": False})
    return user


def traits(track: Track) -> TrackTraits:
    return TrackTraits(tempo=track.tempo or 100.0, loudness=track.loudness or -30.0, minor=track.mode == "minor")


def assign_tags(track: Track, tagger: LearnedTagger | None = None) -> None:
    """Write the track's tag probabilities: learned ones where the tagger knows the tag, rules elsewhere."""
    tagger = tagger or LearnedTagger.load(settings.TAGGER_PATH)
    t = traits(track)
    probs = rule_probabilities(t)
    sources = dict.fromkeys(CONTEXT_TAGS, TagSource.RULE)
    vec = track.vector
    if tagger.weights and vec is not None:
        for tag, p in tagger.predict(features(vec, t)).items():
            probs[tag], sources[tag] = round(p, 3), TagSource.MODEL
    with transaction.atomic():
        TrackTag.objects.filter(track=track).delete()
        TrackTag.objects.bulk_create([
            TrackTag(track=track, tag=tag, probability=probs[tag], source=sources[tag],
                     model_version=tagger.version if sources[tag] == TagSource.MODEL else 0)
            for tag in CONTEXT_TAGS
        ])  # fmt: skip


def _vectors(rows) -> tuple[np.ndarray, np.ndarray]:
    rows = [(pk, blob) for pk, blob in rows if blob is not None]
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros((0, track_index().dim), dtype=np.float32)
    return np.array([pk for pk, _ in rows]), np.stack([np.frombuffer(bytes(b), dtype=np.float32) for _, b in rows])


# (index, the field it holds) for tracks and for sections: audio similarity, and the shared music–video space.
def _track_indexes():
    return [(track_index(), "embedding"), (xm_track_index(), "xm_embedding")]


def _section_indexes():
    return [(section_index(), "embedding"), (xm_section_index(), "xm_embedding")]


def index_track(track: Track) -> None:
    """Add (or replace) a track's vectors and its sections' vectors in every index."""
    for index, field in _track_indexes():
        ids, vecs = _vectors([(track.pk, getattr(track, field))])
        if len(ids):
            index.upsert(ids, vecs)
    for index, field in _section_indexes():
        ids, vecs = _vectors(track.sections.values_list("pk", field))
        if len(ids):
            index.upsert(ids, vecs)


def unindex_track(track_id: int, section_ids: list[int]) -> None:
    for index, _ in _track_indexes():
        index.remove(np.array([track_id]))
    if section_ids:
        for index, _ in _section_indexes():
            index.remove(np.array(section_ids))


def rebuild_indexes() -> tuple[int, int]:
    """Write every index file anew from the database and swap them in atomically."""
    tracks = Track.objects.ready()
    sections = Section.objects.filter(track__state=TrackState.READY)
    for index, field in _track_indexes():
        index.rebuild(*_vectors(tracks.values_list("pk", field)))
    for index, field in _section_indexes():
        index.rebuild(*_vectors(sections.values_list("pk", field)))
    return tracks.exclude(embedding=None).count(), sections.exclude(embedding=None).count()


def waveform_peaks(y: np.ndarray, columns: int = 600) -> list[float]:
    n = len(y) // columns
    if n == 0:
        return [round(float(abs(v)), 3) for v in y]
    return [round(float(v), 3) for v in np.abs(y[: n * columns]).reshape(columns, n).max(axis=1)]
