"""Track versions: a catalog track edited to a length along its own bars (recommender.arrange), as a WAV.

A version is its job: the Job row belongs to the user who asked, holds the request (``params``: track,
duration, anchors), the progress, the reason of a failure (retry with ``POST /api/jobs/{id}/retry/``) and the
result (the file under MEDIA_ROOT and the plan). No table of its own: nothing else refers to a version.
Also used by video previews fitted to the picture (``fitted_track``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from django.conf import settings

from recommender.arrange import ArrangeError, Plan, default_anchor, plan_edit, render
from recommender.arrange_features import DownbeatFeatures, downbeat_features, from_bytes
from recommender.arrange_features import to_bytes as join_bytes
from recommender.media import ANALYSIS_SR, MediaError, load_audio
from webapp.catalog.models import Track
from webapp.core.jobs import JobError, Progress, job_task
from webapp.core.models import Job

VERSION_SR = 44100
VERSION_KIND = "render_track_version"
MAX_FACTOR = 4.0  # a version lasts at most this many times its track


def max_version_seconds(track: Track) -> float:
    return round(min(MAX_FACTOR * (track.duration or 0.0), max(settings.MAX_TRACK_SECONDS, 600.0)), 2)


def plan_for(track: Track, target: float, *, anchors=(), peak: float | None = None,
             features: DownbeatFeatures | None = None) -> Plan:  # fmt: skip
    """The plan of ``track`` edited to ``target`` seconds, without rendering (a few ms with the join features kept
    by the analysis; a decode and an STFT, about a second for a 3-min track, for a track analysed before them).

    ``anchors`` [(music s, edit s)]; with none and a ``peak`` (edit seconds), the default anchor puts the track's
    strongest section change on the peak when a plan can honour it (else no anchor). Raises MediaError for an
    unreadable file and ArrangeError for a target or anchor no plan can meet. ``features``: the track's join
    features when the caller has them (:func:`kept_features`).
    """
    return _plan(features or join_features(track), track, target, anchors, peak)


def kept_features(track: Track) -> DownbeatFeatures | None:
    """The join features kept on the track's row for its current analysis, or None (never decodes)."""
    return from_bytes(track.join_features, track.downbeats, track.duration or 0.0)


def join_features(track: Track, y: np.ndarray | None = None) -> DownbeatFeatures:
    """The track's join features: those kept by the analysis, else computed from ``y`` (mono at ANALYSIS_SR) or a
    decode of its file, and then kept on the row (unless it was analysed again meanwhile). MediaError if unreadable.
    """
    kept = kept_features(track)
    if kept is not None:
        return kept
    if y is None:
        y = load_audio(track.file.path, sr=ANALYSIS_SR, max_seconds=settings.MAX_TRACK_SECONDS)
    feats = downbeat_features(y, ANALYSIS_SR, track.downbeats, duration=len(y) / ANALYSIS_SR)
    if not len(track.downbeats):
        return feats
    raw = join_bytes(feats)
    Track.objects.filter(pk=track.pk, analysed_at=track.analysed_at).update(join_features=raw)
    track.join_features = raw
    # as kept (float16): this plan and every later one of the track read the same values
    return from_bytes(raw, track.downbeats, track.duration or 0.0) or feats


def _plan(feats: DownbeatFeatures, track: Track, target: float, anchors, peak: float | None) -> Plan:
    starts = list(track.sections.values_list("start", flat=True))
    if anchors or peak is None:
        return plan_edit(feats, target, anchors=anchors, section_starts=starts)
    return _with_default_anchor(feats, target, starts, peak)


def fitted_track(track: Track, target: float, *, anchors=(), peak: float | None = None, sr: int = VERSION_SR,
                 progress: Progress | None = None) -> tuple[np.ndarray, Plan]:  # fmt: skip
    """``track`` edited to ``target`` seconds: mono float32 audio at ``sr`` and its plan (see :func:`plan_for`).

    Raises JobError with the reason.
    """
    try:
        y = load_audio(track.file.path, sr=sr, max_seconds=settings.MAX_TRACK_SECONDS)
        feats = join_features(track)  # kept by the analysis; else a second decode at the analysis rate
    except MediaError as exc:
        raise JobError(str(exc))
    if progress:
        progress(0.3, "decoded the track")
    try:
        plan = _plan(feats, track, target, anchors, peak)
    except ArrangeError as exc:
        raise JobError(str(exc))
    if progress:
        progress(0.6, f"planned {len(plan.joins)} joins")
    return render(y, sr, plan), plan


def _with_default_anchor(feats, target: float, starts, peak: float) -> Plan:
    music, at = default_anchor(feats, starts, min(max(peak, 0.0), target))
    try:
        return plan_edit(feats, target, anchors=[(music, at)], section_starts=starts)
    except ArrangeError:
        return plan_edit(feats, target, section_starts=starts)


def version_path(job_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "versions" / f"version-{job_id}.wav"


@job_task(VERSION_KIND, queue="cpu")
def render_track_version(job: Job, progress: Progress) -> dict:
    import soundfile as sf

    track = Track.objects.filter(pk=job.params.get("track")).first()
    if track is None:
        raise JobError("the track was deleted")
    audio, plan = fitted_track(track, float(job.params["duration"]), anchors=job.params.get("anchors") or (),
                               progress=progress)  # fmt: skip
    out = version_path(job.pk)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".part.wav")
    sf.write(tmp, audio, VERSION_SR, subtype="PCM_16", format="WAV")
    tmp.replace(out)  # atomic: a half-written version is never served; a rerun writes the same file
    progress(0.95, "written")
    return {"file": str(out.relative_to(settings.MEDIA_ROOT)), "seconds": round(len(audio) / VERSION_SR, 4),
            "plan": plan.to_dict()}  # fmt: skip
