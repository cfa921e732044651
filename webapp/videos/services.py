"""Video operations shared by the API, the pages and the tasks: upload, and soundtrack recommendation."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from django.conf import settings
from django.core.files import File
from django.db import transaction

from recommender.media import MediaError
from recommender.video import VideoInfo, probe_video
from webapp.catalog.indexes import visible_neighbours, xm_section_index, xm_track_index
from webapp.catalog.models import Section, Track
from webapp.core.jobs import create_job
from webapp.core.uploads import check_size, on_disk
from webapp.videos.models import Video, VideoState
from webapp.videos.tasks import analyze_video

if TYPE_CHECKING:  # numba, ~90 MB: imported by the functions that rank, not by every web process
    from recommender.alignment import Alignment, MusicSequence

VIDEO_SUFFIXES = {".mp4", ".mov", ".webm", ".mkv", ".m4v"}
MODES = ("alignment", "global")
# About 95 KB per 3-minute track: four re-rankings' worth of candidates stay warm (≈ 190 MB at the default 500).
SEQUENCE_CACHE = 2048


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
    size = check_size(fileobj, name, settings.MAX_VIDEO_BYTES)
    with on_disk(fileobj, name) as path:
        info = check_video(path, name)
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
    return create_job(video.owner, analyze_video, target=video)


@dataclass
class Recommendation:
    track: Track
    score: float
    offset: float = 0.0
    alignment: Alignment | None = None
    brief: dict | None = None  # with a prompt: how the track fits it (webapp.catalog.briefs)


def candidates(video: Video, tracks, *, limit: int) -> dict[int, float]:
    """Up to ``limit`` ids of ``tracks`` worth aligning → their global similarity: the clip's nearest tracks, then
    (to fill up) the tracks of every shot's nearest sections, at -1."""
    ids: dict[int, float] = {}
    if video.vector is not None:
        for track, score in visible_neighbours(xm_track_index(), video.vector, tracks.only("pk"), limit):
            ids[track.pk] = score
    shot_vecs = video.shot_vectors
    if shot_vecs is not None and len(ids) < limit:
        per_shot = max(10, limit // max(1, len(shot_vecs)))
        sections = Section.objects.filter(track__in=tracks.values("pk")).only("pk", "track_id")
        for vector in shot_vecs:
            for section, _ in visible_neighbours(xm_section_index(), vector, sections, per_shot):
                ids.setdefault(section.track_id, -1.0)
    return dict(list(ids.items())[:limit])


@lru_cache(maxsize=SEQUENCE_CACHE)
def _music_sequence(track_id: int, version: float) -> MusicSequence | None:
    from recommender.alignment import music_sequence

    fields = ("duration", "segments", "xm_segments", "downbeats", "energy", "energy_hop", "beats", "onset_envelope",
              "onset_hop")  # fmt: skip
    row = Track.objects.filter(pk=track_id).values(*fields).first()
    if row is None or not row["segments"] or row["xm_segments"] is None:
        return None
    vectors = np.frombuffer(bytes(row["xm_segments"]), dtype=np.float32).reshape(len(row["segments"]), -1)
    sections = Section.objects.filter(track_id=track_id).order_by("index").values_list("start", flat=True)
    onsets = None if not row["onset_envelope"] else np.frombuffer(bytes(row["onset_envelope"]), dtype=np.float16)
    return music_sequence(row["duration"], [tuple(s) for s in row["segments"]], vectors,
                          downbeats=row["downbeats"], section_starts=list(sections)[1:], energy=row["energy"],
                          energy_hop=row["energy_hop"], beats=row["beats"], onset_hop=row["onset_hop"],
                          onset_envelope=onsets)  # fmt: skip


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
    from recommender.alignment import video_sequence

    times = np.arange(len(video.activity)) * video.activity_hop
    accents = np.asarray(video.accents or [], dtype=float).reshape(-1, 2)
    return video_sequence(video.duration or 0.0, [tuple(s) for s in video.shots], video.shot_vectors,
                          activity=np.asarray(video.activity), activity_times=times, accent_times=accents[:, 0],
                          accent_strengths=accents[:, 1], frame_rate=video.fps or 25.0)  # fmt: skip


def recommend(video: Video, tracks, *, mode: str, k: int, structure: float | None = None, method: str | None = None,
              prompt: str | None = None, text_weight: float = 0.5, user=None) -> list[Recommendation]:  # fmt: skip
    """Top ``k`` of ``tracks`` (those the user may see, filtered) for the video: by clip vector (global) or by
    sequence alignment (tracks at least as long as the video); with a ``prompt``, the video's best candidates
    re-ranked by a blend with the brief (``text_weight`` 0: the video only, 1: the brief only)."""
    if prompt:
        pool = _recommend(video, tracks, mode=mode, k=max(5 * k, 50), structure=structure, method=method)
        return steer_by_brief(pool, prompt, text_weight=text_weight, user=user)[:k]
    return _recommend(video, tracks, mode=mode, k=k, structure=structure, method=method)


def steer_by_brief(recs: list[Recommendation], prompt: str, *, text_weight: float, user) -> list[Recommendation]:
    """``recs`` re-ordered by their own score blended with their fit to the brief, each told how it fits."""
    from recommender.brief import blend_with_brief
    from webapp.catalog.briefs import rank_tracks

    if not recs:
        return recs
    ranked = rank_tracks(Track.objects.filter(pk__in=[r.track.pk for r in recs]), user, prompt)
    brief_scores = np.array([ranked.ranking.scores[ranked.row_of[r.track.pk]] for r in recs])
    blended = blend_with_brief(np.array([r.score for r in recs]), brief_scores, text_weight)
    for r in recs:
        r.brief = {**ranked.fit(r.track.pk), "ignored": ranked.brief.ignored}
    order = np.lexsort((np.arange(len(recs)), -blended))
    return [recs[i] for i in order]


def highlight_start(track: Track, seconds: float) -> float:
    """Where a video of ``seconds`` starts in ``track`` when nothing aligned it: the track's highlight when the
    video fits in it (a short video gets the best moment, not the intro), else the beginning."""
    start, end = track.highlight_start, track.highlight_end
    if start is None or end is None or seconds <= 0 or seconds > end - start + 1e-6:
        return 0.0
    return float(start)


def _recommend(video: Video, tracks, *, mode: str, k: int, structure: float | None, method: str | None):
    from recommender.alignment import Weights, align, load_weights

    if mode == "global":
        if video.vector is None:
            return []
        found = visible_neighbours(xm_track_index(), video.vector, tracks, k)
        return [Recommendation(t, score, highlight_start(t, video.duration or 0.0)) for t, score in found]
    limit = settings.ALIGNMENT_CANDIDATES
    found = candidates(video, tracks.filter(duration__gte=video.duration), limit=limit)
    seqs = music_sequences(list(found))
    ids = [i for i in found if i in seqs]
    weight = settings.STRUCTURE_WEIGHT if structure is None else structure
    results = align(video_seq(video), [seqs[i] for i in ids], method=method or settings.ALIGNMENT_METHOD, paths=k,
                    weights=Weights.blend(weight, load_weights()))  # fmt: skip
    order = sorted(range(len(ids)), key=lambda c: -results[c].score)[:k]
    tracks = Track.objects.in_bulk([ids[c] for c in order])
    return [Recommendation(tracks[ids[c]], results[c].score, results[c].offset, results[c]) for c in order]
