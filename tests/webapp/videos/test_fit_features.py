"""Join features kept with a track: the analysis stores them, a plan reads no audio, older tracks catch up."""

import numpy as np
import pytest

from recommender.media import MediaError
from tests.webapp.catalog.factories import TrackFactory
from tests.webapp.catalog.test_api import song_upload, upload
from tests.webapp.videos.factories import VideoFactory
from webapp.catalog import versions
from webapp.catalog.models import Track, TrackState

pytestmark = pytest.mark.django_db


def _no_decoding(*args, **kwargs):
    raise MediaError("the plan decoded the track")


def test_the_analysis_keeps_join_features_and_a_plan_then_reads_no_audio(api, user, pipeline, monkeypatch):
    res = upload(api, song_upload(5, seconds=30.0))
    track = Track.objects.get(pk=res.json()["id"])
    assert track.state == TrackState.READY, track.error
    raw = bytes(track.join_features)
    assert len(raw) == len(track.downbeats) * 52 * 2 and np.isfinite(np.frombuffer(raw, dtype=np.float16)).all()
    vid = VideoFactory(owner=user, duration=12.0).pk
    monkeypatch.setattr(versions, "load_audio", _no_decoding)
    plan = api.get(f"/api/videos/{vid}/fit-plan/?track={track.pk}").json()
    assert sum(p["src_end"] - p["src_start"] for p in plan["pieces"]) == pytest.approx(12.0, abs=1 / 25)


def test_a_track_analysed_before_them_gets_them_on_its_first_plan(api, user, monkeypatch):
    track = TrackFactory(owner=user, seed=23, duration=30.0, audio=True)
    assert track.join_features is None
    vid = VideoFactory(owner=user, duration=12.0).pk
    first = api.get(f"/api/videos/{vid}/fit-plan/?track={track.pk}")
    assert first.status_code == 200, first.content
    track.refresh_from_db()
    assert len(bytes(track.join_features)) == len(track.downbeats) * 104
    monkeypatch.setattr(versions, "load_audio", _no_decoding)
    assert api.get(f"/api/videos/{vid}/fit-plan/?track={track.pk}").json() == first.json()


def test_features_of_an_older_analysis_are_not_used(user):
    track = TrackFactory(owner=user, seed=24, duration=30.0, audio=True)
    versions.join_features(track)
    Track.objects.filter(pk=track.pk).update(downbeats=track.downbeats[1:])  # analysed again: another grid
    track.refresh_from_db()
    feats = versions.join_features(track)
    assert len(feats.downbeats) == len(track.downbeats)
    track.refresh_from_db()
    assert len(bytes(track.join_features)) == len(track.downbeats) * 104
