"""Catalog pipeline: analyse a track (cpu queue), then embed, tag and index it (gpu queue)."""

from __future__ import annotations

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from recommender.analysis import analyze, spectra
from recommender.arrange_features import downbeat_features
from recommender.arrange_features import to_bytes as join_bytes
from recommender.device import get_device
from recommender.highlights import highlight
from recommender.media import ANALYSIS_SR, MediaError, load_audio, waveform_peaks
from recommender.models.registry import ModelMissing, audio_encoder, crossmodal
from recommender.passages import block_features
from recommender.spectral import log_mel
from webapp.catalog.indexes import index_track, rebuild_indexes
from webapp.catalog.models import Section, Track, TrackState, to_bytes
from webapp.catalog.tagging import assign_tags, retrain_tagger
from webapp.catalog.versions import render_track_version  # noqa: F401 (its task: the worker autodiscovers tasks.py)
from webapp.core.jobs import JobError, Progress, create_next_job, features_path, job_task, target_row
from webapp.core.models import Job


@job_task("analyze_track", queue="cpu")
def analyze_track(job: Job, progress: Progress) -> dict:
    track = target_row(job, Track)
    Track.objects.filter(pk=track.pk).update(state=TrackState.ANALYZING, error="")
    try:
        y = load_audio(track.file.path, sr=ANALYSIS_SR, max_seconds=settings.MAX_TRACK_SECONDS)
    except MediaError as exc:
        raise JobError(str(exc))
    progress(0.2, "decoded")
    spec = spectra(y, ANALYSIS_SR)
    result = analyze(y, ANALYSIS_SR, spec=spec)
    blocks = block_features(spec.power, ANALYSIS_SR)  # reference search and the highlight
    span = highlight(blocks, result.energy, result.duration, energy_hop=result.energy_hop,
                     section_starts=[s.start for s in result.sections], downbeats=result.downbeats)  # fmt: skip
    joins = downbeat_features(None, ANALYSIS_SR, result.downbeats, power=spec.power, duration=result.duration)
    progress(0.8, "analysed")
    mel = log_mel(y, ANALYSIS_SR, power=spec.power)  # numpy: a cpu-queue child never imports torch
    path = features_path(track)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, mel.astype(np.float16))  # for the embedding step, which then needs no decoding
    with transaction.atomic():
        Track.objects.filter(pk=track.pk).update(
            duration=result.duration, tempo=result.tempo, key=result.key, mode=result.mode,
            key_confidence=result.key_confidence, loudness=result.mean_energy, beats=result.beats,
            downbeats=result.downbeats, energy=result.energy, energy_hop=result.energy_hop,
            waveform=waveform_peaks(y), analysed_at=timezone.now(), state=TrackState.EMBEDDING,
            onset_envelope=result.onset_envelope.astype(np.float16).tobytes(), onset_hop=result.onset_hop,
            passages=blocks.astype(np.float16).tobytes(), highlight_start=span[0], highlight_end=span[1],
            join_features=join_bytes(joins),
        )  # fmt: skip
        Section.objects.filter(track=track).delete()
        Section.objects.bulk_create(
            [Section(track=track, index=i, start=s.start, end=s.end, label=s.label)
             for i, s in enumerate(result.sections)]
        )  # fmt: skip
        create_next_job(job, embed_track, target=track)
    return {"tempo": result.tempo, "sections": len(result.sections), "key": f"{result.key} {result.mode}"}


@job_task("embed_track", queue="gpu")
def embed_track(job: Job, progress: Progress) -> dict:
    track = target_row(job, Track)
    sections = store_vectors(track, progress)
    track.refresh_from_db()
    assign_tags(track)
    progress(0.8, "tagged")
    index_track(track)
    Track.objects.filter(pk=track.pk).update(state=TrackState.READY)
    features_path(track).unlink(missing_ok=True)
    return {"sections": sections, "device": str(get_device())}


def store_vectors(track: Track, progress: Progress | None = None) -> int:
    """Embed a track in both spaces from its log-mel (kept by the analysis, or decoded again) and store the
    vectors of the track, its sections and its segments; the number of sections."""
    from recommender.track_vectors import embed_track_spaces  # torch: imported by the worker that runs this

    path = features_path(track)
    if path.exists():
        mel = np.load(path).astype(np.float32)
    else:  # features lost (e.g. another machine): decode again
        mel = log_mel(load_audio(track.file.path, sr=ANALYSIS_SR, max_seconds=settings.MAX_TRACK_SECONDS))
    try:
        model = audio_encoder(str(settings.AUDIO_MODEL_PATH))
    except ModelMissing as exc:
        raise JobError(str(exc))
    sections = list(track.sections.all())
    out = embed_track_spaces(
        mel, [(s.start, s.end) for s in sections], audio_model=model,
        crossmodal_model=crossmodal(str(settings.CROSSMODAL_MODEL_PATH)), duration=track.duration or 0.0,
        downbeats=track.downbeats, device=get_device(),
    )  # fmt: skip
    if progress:
        progress(0.6, "embedded")
    with transaction.atomic():
        Track.objects.filter(pk=track.pk).update(
            embedding=to_bytes(out.vector),
            embedding_model=settings.AUDIO_MODEL_PATH.name,
            xm_embedding=None if out.xm_vector is None else to_bytes(out.xm_vector),
            segments=[[round(a, 3), round(b, 3)] for a, b in out.segments],
            xm_segments=None if out.xm_segments is None else to_bytes(out.xm_segments),
        )
        for section, v, xv in zip(sections, out.sections, out.xm_sections, strict=True):
            Section.objects.filter(pk=section.pk).update(
                embedding=to_bytes(v), xm_embedding=None if xv is None else to_bytes(xv)
            )
    return len(sections)


@job_task("reembed_catalog", queue="gpu")
def reembed_catalog(job: Job, progress: Progress) -> dict:
    """Every analysed track again in both spaces, after a model was trained or refined (``train_crossmodal
    --init``), then the indexes rebuilt, so that recommendations use the new model."""
    audio_encoder.cache_clear()  # a new checkpoint at the same path
    crossmodal.cache_clear()
    tracks = list(Track.objects.ready().order_by("pk"))
    for i, track in enumerate(tracks):
        store_vectors(track)
        features_path(track).unlink(missing_ok=True)
        progress(0.95 * (i + 1) / max(1, len(tracks)), f"re-embedded {i + 1}/{len(tracks)}")
    tracks_indexed, sections_indexed = rebuild_indexes()
    return {"tracks": len(tracks), "indexed": [tracks_indexed, sections_indexed]}


@job_task("retag_catalog", queue="cpu")
def retag_catalog(job: Job, progress: Progress) -> dict:
    """Retrain the context tagger from users' labels, then re-tag every analysed track."""
    tagger = retrain_tagger()
    tracks = list(Track.objects.ready())
    for i, track in enumerate(tracks):
        assign_tags(track, tagger)
        if i % 20 == 0:
            progress((i + 1) / max(1, len(tracks)), f"re-tagged {i + 1}/{len(tracks)}")
    return {"learned_tags": sorted(tagger.weights), "version": tagger.version, "tracks": len(tracks)}
