"""Video operations shared by the API, the pages and the tasks: upload, and soundtrack recommendation."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.files import File
from django.db import transaction

from recommender.alignment import Alignment, MusicSequence, Weights, align, music_sequence, video_sequence
from recommender.context.tags import CONTEXT_TAGS
from recommender.media import MediaError
from recommender.video import VideoInfo, probe_video
from webapp.catalog.indexes import xm_section_index, xm_track_index
from webapp.catalog.models import Section, Track, TrackTag
from webapp.catalog.views import apply_filters
from webapp.core.jobs import create_job
from webapp.videos.models import Video, VideoState

VIDEO_SUFFIXES = {".mp4", ".mov", ".webm", ".mkv", ".m4v"}
MODES = ("alignment", "global")


def check_video(path: Path, name: str) -> VideoInfo:
    """Probe an uploaded file; MediaError with a clear reason when it cannot be used."""
    if Path(name).suffix.lower() not in VIDEO_SUFFIXES:
        raise MediaError(f"{name}: unsupported file type (use {', '.join(sorted(VIDEO_SUFFIXES))})")
    try:
        info = probe_video(path)
    except MediaError as exc:  # name the file as the user knows it, not by its temporary name
        raise MediaError(str(exc).replace(path.name, name, 1)) from exc
    if info.duration > settings.MAX_VIDEO_SECONDS:
        limit = settings.MAX_VIDEO_SECONDS
        raise MediaError(f"{name}: {info.duration:.0f} s is longer than the limit of {limit:.0f} s")
    return info


def add_video(fileobj, name: str, *, owner) -> Video:
    """Store an upload as a new video of ``owner`` and queue its analysis."""
    size = getattr(fileobj, "size", 0) or 0
    if size > settings.MAX_VIDEO_BYTES:
        raise MediaError(f"{name}: larger than the limit of {settings.MAX_VIDEO_BYTES // 2**20} MB")
    temp_path = getattr(fileobj, "temporary_file_path", None)
    if temp_path:
        info = check_video(Path(temp_path()), name)
    else:
        with tempfile.NamedTemporaryFile(suffix=Path(name).suffix) as tmp:
            fileobj.seek(0)
            for chunk in iter(lambda: fileobj.read(1 << 20), b""):
                tmp.write(chunk)
            tmp.flush()
            info = check_video(Path(tmp.name), name)
        fileobj.seek(0)
    with transaction.atomic():
        video = Video(owner=owner, title=Path(name).stem[:255], original_name=name[:255], size_bytes=size,
                      duration=info.duration, width=info.width, height=info.height, fps=info.fps,
                      codec=info.codec)  # fmt: skip
        video.file.save(Path(name).name, File(fileobj), save=False)
        video.save()
        analyse(video)
    return video


def analyse(video: Video):
    Video.objects.filter(pk=video.pk).update(state=VideoState.QUEUED, error="")
    return create_job(video.owner, "analyze_video", target=video)


def video_tags(vector: np.ndarray, *, k: int = 20) -> dict[str, float]:
    """Context tags of a video: its nearest catalog tracks' tags in the shared space, weighted by similarity."""
    hits = xm_track_index().search(vector[None].astype(np.float32), k)[0] if len(xm_track_index()) else []
    weights = {h.id: max(0.0, h.score) + 1e-6 for h in hits}
    if not weights:
        return {}
    totals = dict.fromkeys(CONTEXT_TAGS, 0.0)
    for track_id, tag, p in TrackTag.objects.filter(track_id__in=weights).values_list("track_id", "tag", "probability"):
        if tag in totals:
            totals[tag] += weights[track_id] * p
    norm = sum(weights.values())
    return {tag: round(v / norm, 3) for tag, v in sorted(totals.items(), key=lambda kv: -kv[1])}


@dataclass
class Recommendation:
    track: Track
    score: float
    offset: float = 0.0
    alignment: Alignment | None = None


def candidates(video: Video, user, filters: dict, *, limit: int, shots: bool = True) -> dict[int, float]:
    """Track ids worth aligning → their global similarity: neighbours of the clip and of every shot."""
    ids: dict[int, float] = {}
    visible = apply_filters(Track.objects.visible_to(user).ready(), filters)
    if video.vector is not None and len(xm_track_index()):
        for h in xm_track_index().search(video.vector[None], min(len(xm_track_index()), limit))[0]:
            ids[h.id] = h.score
    shot_vecs = video.shot_vectors
    if shots and shot_vecs is not None and len(xm_section_index()):
        per_shot = max(10, limit // max(1, len(shot_vecs)))
        hits = xm_section_index().search(shot_vecs, min(len(xm_section_index()), per_shot))
        section_ids = {h.id for row in hits for h in row}
        for track_id in Section.objects.filter(pk__in=section_ids).values_list("track_id", flat=True):
            ids.setdefault(track_id, -1.0)
    allowed = set(visible.filter(pk__in=ids.keys()).values_list("pk", flat=True))
    ranked = sorted((i for i in ids if i in allowed), key=lambda i: -ids[i])[:limit]
    return {i: ids[i] for i in ranked}


@lru_cache(maxsize=20_000)
def _music_sequence(track_id: int, version: float) -> MusicSequence | None:
    row = Track.objects.filter(pk=track_id).values("duration", "segments", "xm_segments", "downbeats", "energy",
                                                   "energy_hop").first()  # fmt: skip
    if row is None or not row["segments"] or row["xm_segments"] is None:
        return None
    vectors = np.frombuffer(bytes(row["xm_segments"]), dtype=np.float32).reshape(len(row["segments"]), -1)
    sections = Section.objects.filter(track_id=track_id).order_by("index").values_list("start", flat=True)
    return music_sequence(row["duration"], [tuple(s) for s in row["segments"]], vectors,
                          downbeats=row["downbeats"], section_starts=list(sections)[1:], energy=row["energy"],
                          energy_hop=row["energy_hop"])  # fmt: skip


def music_sequences(track_ids) -> dict[int, MusicSequence]:
    """Alignment sequences of tracks, cached per process until a track is analysed again."""
    versions = Track.objects.filter(pk__in=track_ids).values_list("pk", "analysed_at")
    out = {}
    for pk, analysed in versions:
        seq = _music_sequence(pk, analysed.timestamp() if analysed else 0.0)
        if seq is not None:
            out[pk] = seq
    return out


def video_seq(video: Video):
    times = np.arange(len(video.activity)) * video.activity_hop
    return video_sequence(video.duration or 0.0, [tuple(s) for s in video.shots], video.shot_vectors,
                          activity=np.asarray(video.activity), activity_times=times)  # fmt: skip


def recommend(video: Video, user, *, mode: str, filters: dict, structure: float | None = None,
              method: str | None = None) -> list[Recommendation]:  # fmt: skip
    """Top ``filters["k"]`` tracks for the video: by clip vector (global) or by sequence alignment."""
    k = filters["k"]
    if mode == "global":
        found = candidates(video, user, filters, limit=max(100, 10 * k), shots=False)
        tracks = Track.objects.in_bulk(list(found)[:k])
        return [Recommendation(tracks[i], round(found[i], 4)) for i in list(found)[:k]]
    limit = settings.ALIGNMENT_CANDIDATES
    found = candidates(video, user, {**filters, "min_duration": video.duration}, limit=limit)
    seqs = music_sequences(list(found))
    ids = [i for i in found if i in seqs]
    weight = settings.STRUCTURE_WEIGHT if structure is None else structure
    results = align(video_seq(video), [seqs[i] for i in ids], method=method or settings.ALIGNMENT_METHOD, paths=k,
                    weights=Weights.blend(weight))  # fmt: skip
    order = sorted(range(len(ids)), key=lambda c: -results[c].score)[:k]
    tracks = Track.objects.in_bulk([ids[c] for c in order])
    return [Recommendation(tracks[ids[c]], round(results[c].score, 4), results[c].offset, results[c]) for c in order]
