"""Video pipeline: decode, cut into shots and describe (cpu queue), then embed and tag (gpu queue);
and soundtrack previews (cpu queue)."""

from __future__ import annotations

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from recommender.arrange_markers import video_peak
from recommender.device import get_device
from recommender.media import MediaError, load_audio
from recommender.models.registry import crossmodal
from recommender.mux import mux_soundtrack, with_fades
from webapp.catalog.models import to_bytes
from webapp.catalog.versions import fitted_track
from webapp.core.jobs import JobError, Progress, create_next_job, features_path, job_task, target_row
from webapp.core.models import Job
from webapp.videos.models import Preview, PreviewFit, PreviewState, Video, VideoState
from webapp.videos.tagging import video_tags

PREVIEW_SR = 44100


def analyse_video_file(path, **kwargs):
    """``recommender.video_analysis.analyze_video``, imported when a video is analysed: it pulls in numba (its light
    curve's fine grid), which the web processes that import this module for its tasks never need."""
    from recommender.video_analysis import analyze_video

    return analyze_video(path, **kwargs)


@job_task("analyze_video", queue="cpu")
def analyze_video(job: Job, progress: Progress) -> dict:
    video = target_row(job, Video)
    Video.objects.filter(pk=video.pk).update(state=VideoState.ANALYZING, error="")
    try:
        result = analyse_video_file(video.file.path, progress=progress.span(0.0, 0.9))
    except MediaError as exc:
        raise JobError(str(exc))
    path = features_path(video)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, result.features)  # for the embedding step, which then needs no decoding
    accents = (result.accent_times, result.accent_strengths)
    with transaction.atomic():
        Video.objects.filter(pk=video.pk).update(
            duration=result.duration, shots=[[round(a, 3), round(b, 3)] for a, b in result.shots],
            shot_colours=result.shot_colours, activity=[round(float(v), 3) for v in result.activity],
            activity_hop=result.activity_hop, state=VideoState.EMBEDDING,
            cut_times=[round(float(t), 4) for t in result.cut_times],
            accents=[[round(float(t), 4), round(float(s), 3)] for t, s in zip(*accents, strict=True)],
            light=np.asarray(result.light, dtype=np.float16).tobytes() if len(result.light) else None,
        )  # fmt: skip
        create_next_job(job, embed_video, target=video)
    return {"shots": len(result.shots), "duration": round(result.duration, 2)}


@job_task("embed_video", queue="gpu")
def embed_video(job: Job, progress: Progress) -> dict:
    from recommender.models.crossmodal import embed_video_spans  # torch: only in the process that embeds

    video = target_row(job, Video)
    model = crossmodal(str(settings.CROSSMODAL_MODEL_PATH))
    if model is None:
        raise JobError(f"no cross-modal model at {settings.CROSSMODAL_MODEL_PATH}: run `manage.py train_crossmodal`")
    path = features_path(video)
    # Features lost (e.g. written on another machine): describe the frames again.
    feats = np.load(path) if path.exists() else analyse_video_file(video.file.path).features
    clip, shots = embed_video_spans(model, feats, [tuple(s) for s in video.shots], device=get_device())
    progress(0.6, "embedded")
    tags = video_tags(clip, video.owner)
    Video.objects.filter(pk=video.pk).update(
        xm_embedding=to_bytes(clip), shot_embeddings=to_bytes(shots), tags=tags, state=VideoState.READY,
        analysed_at=timezone.now(),
    )  # fmt: skip
    path.unlink(missing_ok=True)
    return {"shots": len(shots), "tags": list(tags)[:3], "device": str(get_device())}


@job_task("render_preview", queue="cpu")
def render_preview(job: Job, progress: Progress) -> dict:
    preview = Preview.objects.select_related("video", "track").filter(pk=job.target_id).first()
    if preview is None:
        raise JobError("the preview was deleted")
    Preview.objects.filter(pk=preview.pk).update(state=PreviewState.RENDERING, error="")
    video, track = preview.video, preview.track
    if preview.fit == PreviewFit.LENGTH:
        excerpt = _fitted(preview, video, track, progress)
    else:
        try:
            y = load_audio(track.file.path, sr=PREVIEW_SR, max_seconds=settings.MAX_TRACK_SECONDS)
        except MediaError as exc:
            raise JobError(str(exc))
        progress(0.4, "decoded the track")
        start = int(preview.offset * PREVIEW_SR)
        end = start + int(video.duration * PREVIEW_SR) if video.duration else len(y)
        excerpt = with_fades(y[start:end], PREVIEW_SR)
    out = settings.MEDIA_ROOT / "previews" / f"preview-{preview.pk}.mp4"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".part.mp4")
    try:
        mux_soundtrack(video.file.path, tmp, excerpt, PREVIEW_SR)
    except Exception as exc:  # noqa: BLE001 — a codec failure is the user's file, reported on the preview
        tmp.unlink(missing_ok=True)
        raise JobError(f"the preview could not be written: {exc}")
    progress(0.9, "muxed")
    tmp.replace(out)  # atomic: a half-written preview is never served
    name = str(out.relative_to(settings.MEDIA_ROOT))
    Preview.objects.filter(pk=preview.pk).update(file=name, state=PreviewState.READY)
    return {"file": name, "seconds": round(len(excerpt) / PREVIEW_SR, 2)}


def _fitted(preview: Preview, video: Video, track, progress: Progress) -> np.ndarray:
    """The track re-arranged to the video's length (recommender.arrange); the plan is kept on the preview.

    Without anchors the track's strongest change lands on the video's strongest cut (when a plan allows it).
    """
    if not video.duration:
        raise JobError("the video has no duration: analyse it again")
    peak = None if preview.anchors else default_peak(video)
    audio, plan = fitted_track(track, video.duration, anchors=preview.anchors, peak=peak, sr=PREVIEW_SR,
                               progress=progress.span(0.0, 0.8))  # fmt: skip
    Preview.objects.filter(pk=preview.pk).update(plan=plan.to_dict())
    return audio


def default_peak(video: Video) -> float:
    """The video's strongest moment (seconds): where the default anchor puts the track's strongest change."""
    cuts = [a for a, _ in video.shots[1:]]
    return video_peak(video.activity, video.activity_hop, cuts, duration=video.duration)
