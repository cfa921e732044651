"""Reference search: where in the catalog does this excerpt (an uploaded file, or a span of a catalog track) sound?

The reference is decoded and analysed in memory (an upload only passes through a temporary file, removed at
once): its 2-s passages are searched in the passage index and vote for a (track, offset) each
(``recommender/passages.py``). Only tracks the user may see are answered; each match carries the catalog section
it starts in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.conf import settings

from recommender.media import ANALYSIS_SR, MediaError, load_audio
from recommender.passages import query_passages, vote
from recommender.spectral import power_spectrogram
from webapp.catalog.indexes import passage_index
from webapp.catalog.models import Section, Track, TrackState
from webapp.core.uploads import check_size, on_disk

MIN_REFERENCE_SECONDS = 3.0
MAX_REFERENCE_SECONDS = 60.0  # a longer reference is cut to its first minute
HITS_PER_PASSAGE = 20


@dataclass
class SectionMatch:
    track: Track
    start: float  # seconds into the track
    end: float
    score: float  # 0–1
    section: Section | None  # the catalog section the match starts in


def upload_audio(upload) -> np.ndarray:
    """Mono samples of an uploaded reference; MediaError (400, or 413 when too large) for anything unusable."""
    check_size(upload, upload.name, settings.MAX_TRACK_BYTES)
    with on_disk(upload, upload.name) as path:
        y = load_audio(path, sr=ANALYSIS_SR, max_seconds=settings.MAX_TRACK_SECONDS)
    return _usable(y[: int(MAX_REFERENCE_SECONDS * ANALYSIS_SR)], upload.name)


def track_audio(track: Track, start: float, seconds: float) -> np.ndarray:
    """Samples of ``seconds`` of a catalog track from ``start`` (a start past the end: its last ``seconds``);
    MediaError when the track is not analysed or its file cannot be decoded. A silent span is returned as is
    (it matches nothing)."""
    if track.state != TrackState.READY or not track.duration:
        raise MediaError(f"track {track.pk} is not analysed yet ({track.state})")
    start = max(0.0, min(start, track.duration - seconds))
    y = load_audio(track.file.path, sr=ANALYSIS_SR, max_seconds=settings.MAX_TRACK_SECONDS, allow_silent=True)
    return y[int(start * ANALYSIS_SR) : int((start + min(seconds, MAX_REFERENCE_SECONDS)) * ANALYSIS_SR)]


def _usable(y: np.ndarray, name: str) -> np.ndarray:
    if len(y) < MIN_REFERENCE_SECONDS * ANALYSIS_SR:
        raise MediaError(f"{name}: a reference needs at least {MIN_REFERENCE_SECONDS:g} s of audio")
    peak = float(np.max(np.abs(y)))
    if peak == 0 or 20 * np.log10(peak) < -60:
        raise MediaError(f"{name}: the reference is silent")
    return y


def search_sections(y: np.ndarray, user, *, k: int = 10, exclude: int | None = None) -> list[SectionMatch]:
    """The ``k`` best (track, offset) matches of reference samples ``y`` among tracks ``user`` may see."""
    if len(y) < 2048 or not np.any(y):
        return []
    vecs, times = query_passages(power_spectrogram(y), ANALYSIS_SR)
    index = passage_index()
    if len(vecs) == 0 or len(index) == 0:
        return []
    fetch = HITS_PER_PASSAGE
    while True:
        hits = index.search(vecs, fetch)
        width = max((len(h) for h in hits), default=0)
        ids = np.full((len(hits), width), -1, dtype=np.int64)
        scores = np.zeros((len(hits), width), dtype=np.float32)
        for i, row in enumerate(hits):
            ids[i, : len(row)] = [h.id for h in row]
            scores[i, : len(row)] = [h.score for h in row]
        matches = vote(ids, scores, times, top=max(50, 5 * k))
        visible = Track.objects.visible_to(user).ready().in_bulk([m.track_id for m in matches if m.track_id != exclude])
        found = [m for m in matches if m.track_id in visible][:k]
        if len(found) >= k or fetch >= len(index) or fetch >= 320:
            break
        fetch *= 4  # the nearest passages were of tracks this user cannot see: look further
    seconds = len(y) / ANALYSIS_SR
    out = []
    for m in found:
        track = visible[m.track_id]
        start = max(0.0, m.start)
        end = min(track.duration or start + seconds, start + seconds)
        section = next((s for s in track.sections.all() if s.start <= start < s.end), None)
        out.append(SectionMatch(track, round(start, 2), round(end, 2), m.score, section))
    return out
