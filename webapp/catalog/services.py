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
from webapp.catalog.indexes import section_index, track_index
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


def index_track(track: Track) -> None:
    vec = track.vector
    if vec is None:
        return
    track_index().upsert(np.array([track.pk]), vec[None])
    sections = [(s.pk, s.embedding) for s in track.sections.all() if s.embedding is not None]
    if sections:
        ids = np.array([pk for pk, _ in sections])
        section_index().upsert(ids, np.stack([np.frombuffer(bytes(b), dtype=np.float32) for _, b in sections]))


def unindex_track(track_id: int, section_ids: list[int]) -> None:
    track_index().remove(np.array([track_id]))
    if section_ids:
        section_index().remove(np.array(section_ids))


def rebuild_indexes() -> tuple[int, int]:
    """Write both index files anew from the database and swap them in atomically."""
    tracks = list(Track.objects.ready().exclude(embedding=None).values_list("pk", "embedding"))
    sections = list(Section.objects.filter(track__state=TrackState.READY).exclude(embedding=None)
                    .values_list("pk", "embedding"))  # fmt: skip

    def stack(rows):
        if not rows:
            return np.zeros(0, dtype=np.int64), np.zeros((0, track_index().dim), dtype=np.float32)
        return np.array([r[0] for r in rows]), np.stack([np.frombuffer(bytes(r[1]), dtype=np.float32) for r in rows])

    track_index().rebuild(*stack(tracks))
    section_index().rebuild(*stack(sections))
    return len(tracks), len(sections)


def waveform_peaks(y: np.ndarray, columns: int = 600) -> list[float]:
    n = len(y) // columns
    if n == 0:
        return [round(float(abs(v)), 3) for v in y]
    return [round(float(v), 3) for v in np.abs(y[: n * columns]).reshape(columns, n).max(axis=1)]
