"""Every analysis stores the track's level frame by frame (``Track.frame_loudness``): what the alignment's light term
matches the picture's brightness against. Ingestion and re-analysis in place both keep it; older rows have none."""

import numpy as np
import pytest

from recommender.analysis import ANALYSIS_VERSION, analyze, spectra
from recommender.media import ANALYSIS_SR, load_audio
from tests.media import SR, click_track
from tests.webapp.catalog.test_api import upload, wav_upload
from tests.webapp.catalog.test_reanalyse import stale_click_track
from webapp.catalog import tasks
from webapp.catalog.models import Track, TrackState

SECONDS = 8.0
BPM = 120.0  # a click every 0.5 s


def clicks_on_a_drone(seconds: float = SECONDS) -> np.ndarray:
    """Clicks on every beat over a quiet tone: the level jumps on each click and falls back between them."""
    t = np.arange(int(seconds * SR)) / SR
    return (0.02 * np.sin(2 * np.pi * 220 * t) + 0.5 * click_track(bpm=BPM, seconds=seconds)).astype(np.float32)


def stored_level(track: Track) -> np.ndarray:
    return np.frombuffer(bytes(track.frame_loudness), dtype=np.float16).astype(np.float32)


def assert_level_of_its_file(track: Track) -> None:
    """The stored level is the analysis of the track's file, frame by frame (to float16), loud on the clicks."""
    y = load_audio(track.file.path, sr=ANALYSIS_SR)
    expected = analyze(y, ANALYSIS_SR, spec=spectra(y, ANALYSIS_SR))
    level = stored_level(track)
    assert track.onset_hop == pytest.approx(expected.onset_hop)
    assert len(level) == len(expected.loudness) == len(expected.onset_envelope)
    assert np.abs(level - expected.loudness).max() < 0.1  # dB
    frames = np.arange(len(level)) * track.onset_hop
    beats = np.arange(0.0, track.duration - 0.1, 60.0 / BPM)
    on = np.abs(frames[:, None] - beats[None, :]).min(axis=1) < 0.02
    off = np.abs(frames[:, None] - (beats[None, :] + 0.25)).min(axis=1) < 0.05  # between two clicks
    assert np.median(level[on]) - np.median(level[off]) > 10.0  # dB: the clicks stand out


def test_an_uploaded_track_keeps_its_level_frame_by_frame(api, user, pipeline):
    res = upload(api, wav_upload(clicks_on_a_drone(), "Drone - Clicks.wav", sr=SR))
    assert res.status_code == 201, res.content
    track = Track.objects.get(pk=res.json()["id"])
    assert track.state == TrackState.READY, track.error
    assert track.analysis_version == ANALYSIS_VERSION
    assert_level_of_its_file(track)


@pytest.mark.django_db
def test_reanalysis_in_place_stores_the_level_of_a_track_analysed_before_it_was_kept():
    track = stale_click_track()  # 12 s of clicks at 120 BPM, an older analysis without the level
    assert track.frame_loudness is None
    tasks.reanalyse_in_place(track)
    track.refresh_from_db()
    assert track.state == TrackState.READY and track.analysis_version == ANALYSIS_VERSION
    assert_level_of_its_file(track)
