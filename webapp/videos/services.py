"""Video operations shared by the API, the pages and the tasks: upload, and soundtrack recommendation."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from django.conf import settings
from django.core.files import File
from django.db import transaction

from recommender.arrange import ArrangeError
from recommender.media import MediaError
from recommender.video import VideoInfo, probe_video
from webapp.catalog.indexes import visible_neighbours, xm_section_index
from webapp.catalog.models import Section, Track
from webapp.catalog.versions import kept_features, plan_for
from webapp.core.jobs import create_job
from webapp.core.uploads import check_size, on_disk
from webapp.videos.models import Video, VideoState
from webapp.videos.ranking import global_neighbours
from webapp.videos.tasks import analyze_video, default_peak

if TYPE_CHECKING:  # numba, ~90 MB: imported by the functions that rank, not by every web process
    from recommender.alignment import Alignment, MusicSequence

VIDEO_SUFFIXES = {".mp4", ".mov", ".webm", ".mkv", ".m4v"}
MODES = ("alignment", "global")
# About 125 KB per 3-minute track (29 KB of it the level the light term reads): four re-rankings' worth of candidates
# stay warm (≈ 250 MB at the default 500).
SEQUENCE_CACHE = 2048
TRACE_STEP = 4  # fine frames (25 ms) per point of a light trace: 0.1 s, 600 points for a minute of video...
TRACE_POINTS = 600  # ...and at most this many (longer videos get coarser steps): 10 results stay under ~70 KB
FIT_CANDIDATES = 20  # default of settings.FIT_CANDIDATES: tracks fitted to the video by a fit=length request
# Tracks fitted to a video's length (plan + the edit's sequence, about 0.6 KB per second of edit), kept per process:
# the page asks again whenever a filter changes. Keyed by the track's analysis, the length and the default anchor;
# the oldest go beyond this many seconds of edits in all (≈ 20 MB: 1,200 edits of 30 s, or 60 of 10 min).
FITTED_SECONDS = 36_000.0
_FITTED: dict[tuple, tuple | None] = {}
_FITTED_LOCK = threading.Lock()
_MISSING = object()


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
    fit: dict | None = None  # fitted to the video's length: the plan (recommender.arrange.Plan.to_dict())
    unfitted_score: float | None = None  # fitted: the track's score as it is, from its best offset
    light_trace: dict | None = None  # with a path and a measured light term: the two curves it compared


def candidates(video: Video, tracks, *, limit: int) -> dict[int, float]:
    """Up to ``limit`` ids of ``tracks`` worth aligning → their global score: the best tracks by clip vector and
    pace (``ranking.global_neighbours``), then (to fill up) the tracks of every shot's nearest sections, at -1."""
    ids: dict[int, float] = {}
    for track, score in global_neighbours(video, tracks.only("pk", "tempo"), limit):
        ids[track.pk] = score
    shot_vecs = video.shot_vectors
    if shot_vecs is not None and len(ids) < limit:
        per_shot = max(10, limit // max(1, len(shot_vecs)))
        sections = Section.objects.filter(track__in=tracks.values("pk")).only("pk", "track_id")
        for vector in shot_vecs:
            for section, _ in visible_neighbours(xm_section_index(), vector, sections, per_shot):
                ids.setdefault(section.track_id, -1.0)
    return dict(list(ids.items())[:limit])


SEQUENCE_FIELDS = ("duration", "segments", "xm_segments", "downbeats", "energy", "energy_hop", "beats",
                   "onset_envelope", "onset_hop", "frame_loudness")  # fmt: skip


def _sequence_inputs(row: dict, section_starts: list[float]) -> dict | None:
    """What ``music_sequence`` (or ``fitted_sequence``) needs from a track's row: spans, vectors and analysis."""
    if not row["segments"] or row["xm_segments"] is None:
        return None
    vectors = np.frombuffer(bytes(row["xm_segments"]), dtype=np.float32).reshape(len(row["segments"]), -1)
    onsets = None if not row["onset_envelope"] else np.frombuffer(bytes(row["onset_envelope"]), dtype=np.float16)
    level = row.get("frame_loudness")  # None: analysed before it was kept (the light term then skips the track)
    loudness = None if not level else np.frombuffer(bytes(level), dtype=np.float16).astype(np.float32)
    return {"spans": [tuple(s) for s in row["segments"]], "vectors": vectors, "downbeats": row["downbeats"],
            "section_starts": section_starts, "energy": row["energy"], "energy_hop": row["energy_hop"],
            "beats": row["beats"], "onset_hop": row["onset_hop"], "onset_envelope": onsets,
            "loudness": loudness}  # fmt: skip


def _section_starts(track_ids) -> dict[int, list[float]]:
    """Each track's section starts after the first (seconds)."""
    out: dict[int, list[float]] = {i: [] for i in track_ids}
    rows = Section.objects.filter(track_id__in=list(track_ids)).order_by("track_id", "index")
    for tid, start in rows.values_list("track_id", "start"):
        out[tid].append(start)
    return {tid: starts[1:] for tid, starts in out.items()}


@lru_cache(maxsize=SEQUENCE_CACHE)
def _music_sequence(track_id: int, version: float) -> MusicSequence | None:
    from recommender.alignment import music_sequence

    row = Track.objects.filter(pk=track_id).values(*SEQUENCE_FIELDS).first()
    inputs = None if row is None else _sequence_inputs(row, _section_starts([track_id])[track_id])
    if inputs is None:
        return None
    return music_sequence(row["duration"], inputs.pop("spans"), inputs.pop("vectors"), **inputs)


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
                          accent_strengths=accents[:, 1], frame_rate=video.fps or 25.0,
                          light=video.light_curve)  # fmt: skip


def light_trace_of(light: np.ndarray | None, track: MusicSequence, result: Alignment) -> dict | None:
    """The light term as a picture (``recommender.light.light_trace`` at the result's offset) for a result that
    carries its path; None when the term was not measured (``result.light`` is None: no light curve, no level,
    or its weight 0)."""
    from recommender.fine_sync import FINE_HOP
    from recommender.light import light_trace

    if not result.path or result.light is None or light is None or track.loudness is None:
        return None
    step = max(TRACE_STEP, -(-len(light) // TRACE_POINTS))
    _, picture, music = light_trace(light, track.loudness, round(result.offset / FINE_HOP), step=step)
    return {"hop": round(step * FINE_HOP, 4), "picture": picture.tolist(), "music": music.tolist()}


def recommend(video: Video, tracks, *, mode: str, k: int, structure: float | None = None, method: str | None = None,
              prompt: str | None = None, text_weight: float = 0.5, user=None, fit: str = "none",
              ) -> list[Recommendation]:  # fmt: skip
    """Top ``k`` of ``tracks`` (those the user may see, filtered) for the video: by clip vector (global) or by
    sequence alignment (tracks at least as long as the video); with a ``prompt``, the video's best candidates
    re-ranked by a blend with the brief (``text_weight`` 0: the video only, 1: the brief only). ``fit="length"``
    (alignment mode): the best ``FIT_CANDIDATES`` (at least ``k``) each fitted to the video's length and ranked by
    how the fitted edit aligns (:func:`fit_to_video`), before the brief."""
    if fit == "length":
        pool = _recommend(video, tracks, mode=mode, k=max(k, fit_candidates()), structure=structure, method=method)
        fitted = fit_to_video(video, pool, structure=structure, method=method)
        return (steer_by_brief(fitted, prompt, text_weight=text_weight, user=user) if prompt else fitted)[:k]
    if prompt:
        pool = _recommend(video, tracks, mode=mode, k=max(5 * k, 50), structure=structure, method=method)
        return steer_by_brief(pool, prompt, text_weight=text_weight, user=user)[:k]
    return _recommend(video, tracks, mode=mode, k=k, structure=structure, method=method)


def fit_candidates() -> int:
    """How many of the best-aligned tracks a ``fit=length`` request fits (a plan each: a few ms with kept
    join features)."""
    return int(getattr(settings, "FIT_CANDIDATES", FIT_CANDIDATES))


def fit_to_video(video: Video, recs: list[Recommendation], *, structure: float | None = None,
                 method: str | None = None) -> list[Recommendation]:  # fmt: skip
    """``recs`` each edited to the video's length (the default anchor: the track's strongest change on the video's
    strongest moment), the edit's own structure aligned with the video, ranked by that score. Each result carries
    its plan; its offset is where the edit starts in the track and its path is in track seconds. A track that no
    plan fits (no bar grid), or whose join features are not kept yet (analysed before they were: its first fit
    plan or preview keeps them), keeps its own alignment and comes after the fitted ones."""
    from recommender.alignment import Weights, align, load_weights
    from recommender.arrange_sequence import fitted_sequence, source_times

    if not recs or not video.duration:
        return recs
    ids = [r.track.pk for r in recs]
    rows = {row["pk"]: row for row in Track.objects.filter(pk__in=ids).values("pk", *SEQUENCE_FIELDS)}
    starts = _section_starts(ids)
    peak = default_peak(video)
    fitted, plans, seqs, rest = [], [], [], []
    for r in recs:
        version = r.track.analysed_at.timestamp() if r.track.analysed_at else 0.0
        key = (r.track.pk, version, float(video.duration), round(peak, 3))
        entry = _FITTED.get(key, _MISSING)
        if entry is _MISSING:
            inputs = _sequence_inputs(rows[r.track.pk], starts[r.track.pk]) if r.track.pk in rows else None
            feats = kept_features(r.track)  # only kept ones: a decode per track would make the request take seconds
            if inputs is None or feats is None:  # not cached: its features may be kept by a later fit plan
                rest.append(r)
                continue
            try:
                plan = plan_for(r.track, video.duration, peak=peak, features=feats)
                entry = (plan, fitted_sequence(plan, **inputs))
            except ArrangeError:
                entry = None  # no plan fits this track to this length
            with _FITTED_LOCK:
                _FITTED[key] = entry
                while sum(k[2] for k in _FITTED) > FITTED_SECONDS and len(_FITTED) > 1:
                    _FITTED.pop(next(iter(_FITTED)))
        if entry is None:
            rest.append(r)
            continue
        fitted.append(r)
        plans.append(entry[0])
        seqs.append(entry[1])
    weight = settings.STRUCTURE_WEIGHT if structure is None else structure
    vseq = video_seq(video)
    results = align(vseq, seqs, method=method or settings.ALIGNMENT_METHOD,
                    weights=Weights.blend(weight, load_weights()))  # fmt: skip
    out = []
    for r, plan, seq, res in zip(fitted, plans, seqs, results, strict=True):
        trace = light_trace_of(vseq.light, seq, res)  # on the edit's timeline, before the offset moves to the track's
        times = source_times(plan, [t for _, t in res.path])
        res.path = [(v, round(float(t), 3)) for (v, _), t in zip(res.path, times, strict=True)]
        res.offset = round(plan.pieces[0].src_start, 4)  # (each result is a new Alignment; the plan is not changed)
        out.append(Recommendation(r.track, res.score, res.offset, res, r.brief, plan.to_dict(), r.score, trace))
    out.sort(key=lambda x: -x.score)
    return out + rest


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
        found = global_neighbours(video, tracks, k)
        return [Recommendation(t, score, highlight_start(t, video.duration or 0.0)) for t, score in found]
    limit = settings.ALIGNMENT_CANDIDATES
    found = candidates(video, tracks.filter(duration__gte=video.duration), limit=limit)
    seqs = music_sequences(list(found))
    ids = [i for i in found if i in seqs]
    weight = settings.STRUCTURE_WEIGHT if structure is None else structure
    vseq = video_seq(video)
    results = align(vseq, [seqs[i] for i in ids], method=method or settings.ALIGNMENT_METHOD, paths=k,
                    weights=Weights.blend(weight, load_weights()))  # fmt: skip
    order = sorted(range(len(ids)), key=lambda c: -results[c].score)[:k]
    tracks = Track.objects.in_bulk([ids[c] for c in order])
    out = []
    for c in order:
        res, seq = results[c], seqs[ids[c]]
        trace = light_trace_of(vseq.light, seq, res)
        out.append(Recommendation(tracks[ids[c]], res.score, res.offset, res, light_trace=trace))
    return out
