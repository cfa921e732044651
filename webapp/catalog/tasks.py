"""Catalog pipeline: analyse a track (cpu queue), then embed, tag and index it (gpu queue)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from recommender import passages
from recommender.analysis import ANALYSIS_VERSION, analyze, spectra
from recommender.analysis import Section as AnalysisSection
from recommender.arrange_features import downbeat_features
from recommender.arrange_features import to_bytes as join_bytes
from recommender.device import get_device
from recommender.highlights import highlight
from recommender.media import ANALYSIS_SR, MediaError, load_audio, waveform_peaks
from recommender.models.registry import ModelMissing, audio_encoder, crossmodal
from recommender.passages import block_features
from recommender.spectral import log_mel
from webapp.catalog.indexes import (
    index_track,
    passage_index,
    rebuild_indexes,
    section_index,
    track_passages,
    xm_section_index,
)
from webapp.catalog.models import Section, Track, TrackState, to_bytes
from webapp.catalog.tagging import assign_tags, retrain_tagger
from webapp.catalog.versions import render_track_version  # noqa: F401 (its task: the worker autodiscovers tasks.py)
from webapp.core.jobs import JobError, JobLost, Progress, create_next_job, features_path, job_task, target_row
from webapp.core.models import Job

log = logging.getLogger(__name__)


@dataclass
class Analysed:
    """What the analysis of a track's file gives, before anything is stored."""

    fields: dict[str, Any]  # Track columns, ``analysis_version`` included
    sections: list[AnalysisSection]  # spans in seconds, lettered
    mel: np.ndarray  # log-mel (N_MELS, frames) for the embedding step
    summary: dict[str, Any]  # the job result: tempo, sections, key


def analyse_file(track: Track, progress: Progress | None = None) -> Analysed:
    """Decode and analyse a track's file (tempo, beats, downbeats, sections, curves, passages, highlight, joins);
    JobError with the reason when the file is missing or unreadable. Stores nothing."""
    try:
        y = load_audio(track.file.path, sr=ANALYSIS_SR, max_seconds=settings.MAX_TRACK_SECONDS)
    except MediaError as exc:
        raise JobError(str(exc))
    if progress:
        progress(0.2, "decoded")
    spec = spectra(y, ANALYSIS_SR)
    result = analyze(y, ANALYSIS_SR, spec=spec)
    blocks = block_features(spec.power, ANALYSIS_SR)  # reference search and the highlight
    span = highlight(blocks, result.energy, result.duration, energy_hop=result.energy_hop,
                     section_starts=[s.start for s in result.sections], downbeats=result.downbeats)  # fmt: skip
    joins = downbeat_features(None, ANALYSIS_SR, result.downbeats, power=spec.power, duration=result.duration)
    mel = log_mel(y, ANALYSIS_SR, power=spec.power)  # numpy: a cpu-queue child never imports torch
    fields = {
        "duration": result.duration, "tempo": result.tempo, "key": result.key, "mode": result.mode,
        "key_confidence": result.key_confidence, "loudness": result.mean_energy, "beats": result.beats,
        "downbeats": result.downbeats, "energy": result.energy, "energy_hop": result.energy_hop,
        "waveform": waveform_peaks(y), "analysed_at": timezone.now(), "analysis_version": ANALYSIS_VERSION,
        "onset_envelope": result.onset_envelope.astype(np.float16).tobytes(), "onset_hop": result.onset_hop,
        "frame_loudness": None if result.loudness is None else result.loudness.astype(np.float16).tobytes(),
        "passages": blocks.astype(np.float16).tobytes(), "highlight_start": span[0], "highlight_end": span[1],
        "join_features": join_bytes(joins),
    }  # fmt: skip
    summary = {"tempo": result.tempo, "sections": len(result.sections), "key": f"{result.key} {result.mode}"}
    return Analysed(fields, result.sections, mel, summary)


def store_analysis(track: Track, analysed: Analysed, **extra: Any) -> list[Section]:
    """Write an analysis over the track's columns (and ``extra``) and replace its sections; the new sections.
    Call inside a transaction."""
    Track.objects.filter(pk=track.pk).update(**analysed.fields, **extra)
    Section.objects.filter(track=track).delete()
    Section.objects.bulk_create(
        [Section(track=track, index=i, start=s.start, end=s.end, label=s.label)
         for i, s in enumerate(analysed.sections)]
    )  # fmt: skip
    return list(Section.objects.filter(track=track).order_by("index"))


@job_task("analyze_track", queue="cpu")
def analyze_track(job: Job, progress: Progress) -> dict:
    track = target_row(job, Track)
    Track.objects.filter(pk=track.pk).update(state=TrackState.ANALYZING, error="")
    analysed = analyse_file(track, progress)
    progress(0.8, "analysed")
    path = features_path(track)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, analysed.mel.astype(np.float16))  # for the embedding step, which then needs no decoding
    with transaction.atomic():
        store_analysis(track, analysed, state=TrackState.EMBEDDING)
        create_next_job(job, embed_track, target=track)
    return analysed.summary


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


def embed_vectors(mel: np.ndarray, spans: list[tuple[float, float]], *, duration: float, downbeats: list[float]):
    """A track's vectors in both spaces (``recommender.track_vectors.TrackVectors``) from its log-mel
    ``(N_MELS, frames)``, its section spans and downbeats (seconds)."""
    from recommender.track_vectors import embed_track_spaces  # torch: imported by the worker that runs this

    try:
        model = audio_encoder(str(settings.AUDIO_MODEL_PATH))
    except ModelMissing as exc:
        raise JobError(str(exc))
    return embed_track_spaces(
        mel, spans, audio_model=model, crossmodal_model=crossmodal(str(settings.CROSSMODAL_MODEL_PATH)),
        duration=duration, downbeats=downbeats, device=get_device(),
    )  # fmt: skip


def save_vectors(track: Track, sections: list[Section], out) -> None:
    """Store the vectors of ``embed_vectors`` on the track and its sections (in the same order)."""
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


def store_vectors(track: Track, progress: Progress | None = None) -> int:
    """Embed a track in both spaces from its log-mel (kept by the analysis, or decoded again) and store the
    vectors of the track, its sections and its segments; the number of sections."""
    path = features_path(track)
    if path.exists():
        mel = np.load(path).astype(np.float32)
    else:  # features lost (e.g. another machine): decode again
        mel = log_mel(load_audio(track.file.path, sr=ANALYSIS_SR, max_seconds=settings.MAX_TRACK_SECONDS))
    sections = list(track.sections.all())
    out = embed_vectors(mel, [(s.start, s.end) for s in sections], duration=track.duration or 0.0,
                        downbeats=track.downbeats)  # fmt: skip
    if progress:
        progress(0.6, "embedded")
    save_vectors(track, sections, out)
    return len(sections)


def reanalyse_in_place(track: Track, progress: Progress | None = None) -> dict:
    """Analyse a READY track's file again and embed the result, then switch the track over in one transaction
    (analysis, sections, vectors, tags) and update the indexes. Until then it stays READY and searchable with its old
    analysis; on a failure (JobError: the file is gone or unreadable) nothing of it changed."""
    old_sections = list(track.sections.values_list("pk", flat=True))
    old_blocks = track.passage_blocks
    analysed = analyse_file(track, progress)
    if progress:
        progress(0.5, "analysed")
    out = embed_vectors(analysed.mel, [(s.start, s.end) for s in analysed.sections],
                        duration=analysed.fields["duration"], downbeats=analysed.fields["downbeats"])  # fmt: skip
    with transaction.atomic():
        if not Track.objects.select_for_update().filter(pk=track.pk, state=TrackState.READY).exists():
            raise JobError(f"track {track.pk} was deleted or left the ready state during its re-analysis")
        save_vectors(track, store_analysis(track, analysed), out)
        track.refresh_from_db()
        assign_tags(track)
    index_track(track)  # upserts: the track's id and its passages' ids are kept, so it is never missing
    for index in (section_index(), xm_section_index()):
        index.remove(np.array(old_sections, dtype=np.int64))
    if old_blocks is not None:
        leftover = np.setdiff1d(passages.passage_ids(track.pk, len(old_blocks)), track_passages(track)[0])
        passage_index().remove(leftover)
    return analysed.summary


@job_task("reanalyse_track", queue="gpu")
def reanalyse_track(job: Job, progress: Progress) -> dict:
    """Re-analyse one READY track in place (analysis and embedding in one run, so it needs the torch worker)."""
    track = target_row(job, Track)
    if track.state != TrackState.READY:
        raise JobError(f"track {track.pk} is {track.state}, not ready: analyse it with the pipeline instead")
    return reanalyse_in_place(track, progress)


def stale_tracks(*, everything: bool = False):
    """READY tracks whose analysis is older than ``ANALYSIS_VERSION`` (every READY track with ``everything``)."""
    tracks = Track.objects.ready()
    return tracks if everything else tracks.filter(analysis_version__lt=ANALYSIS_VERSION)


@job_task("reanalyse_catalog", queue="gpu")
def reanalyse_catalog(job: Job, progress: Progress) -> dict:
    """Re-analyse the stale tracks (``params["all"]``: every READY track) in place, one at a time, then rebuild the
    indexes. A track analysed since the job was created is skipped, so a rerun or a retry redoes nothing; a track
    that fails keeps its old analysis and is listed in the result with the reason."""
    todo = stale_tracks(everything=job.params.get("all", False)).exclude(analysed_at__gte=job.created_at)
    ids = list(todo.order_by("pk").values_list("pk", flat=True))
    done, failed = 0, []
    for i, pk in enumerate(ids):
        track = todo.filter(pk=pk).first()  # still ready and stale (another job or a request may have done it)
        if track is not None:
            try:
                reanalyse_in_place(track)
                done += 1
            except JobLost:
                raise
            except Exception as exc:  # one bad file must not stop the catalog: reported, the rest goes on
                if not isinstance(exc, JobError):
                    log.exception("re-analysis of track %s crashed", pk)
                reason = str(exc) if isinstance(exc, JobError) else f"{type(exc).__name__}: {exc}"
                failed.append({"track": pk, "error": reason[:500]})
        progress(0.95 * (i + 1) / max(1, len(ids)), f"re-analysed {i + 1}/{len(ids)}")
    tracks_indexed, sections_indexed = rebuild_indexes()
    return {"stale": len(ids), "reanalysed": done, "failed": failed, "indexed": [tracks_indexed, sections_indexed]}


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
