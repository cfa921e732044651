"""Track versions: POST /api/tracks/{id}/versions/ renders the track at another length as a WAV (a job)."""

import io

import numpy as np
import pytest
import soundfile as sf

from tests.webapp.catalog.factories import TrackFactory
from webapp.catalog.models import TrackState
from webapp.core.models import Job

pytestmark = pytest.mark.django_db


def _download(api, url: str) -> tuple[np.ndarray, int]:
    res = api.get(url)
    assert res.status_code == 200
    assert res["Content-Type"] in ("audio/wav", "audio/x-wav")
    return sf.read(io.BytesIO(b"".join(res.streaming_content)), dtype="float32")


def test_a_version_is_rendered_at_the_length_asked_and_ends_on_the_ending(api, user, pipeline):
    track = TrackFactory(owner=user, audio=True, duration=24.0, seed=3)
    downbeats = np.array(track.downbeats)
    for seconds in (10.0, 41.3):  # shorter, and longer (whole bars repeated)
        res = api.post(f"/api/tracks/{track.pk}/versions/", {"duration": seconds}, format="json")
        assert res.status_code == 202, res.content
        version = api.get(f"/api/tracks/{track.pk}/versions/").json()[0]
        assert version["id"] == res.json()["id"] and version["state"] == "done", version["error"]
        audio, sr = _download(api, version["file_url"])
        assert abs(len(audio) / sr - seconds) <= 1 / 25
        plan = version["plan"]
        assert abs(plan["pieces"][-1]["src_end"] - track.duration) < 0.01 and plan["ending_trim"] == 0
        for join in plan["joins"]:
            assert np.min(np.abs(downbeats - join["src_from"])) < 1e-3
            assert np.min(np.abs(downbeats - join["src_to"])) < 1e-3
        if seconds > track.duration:
            assert plan["joins"]
    # The same request again is the same version, not a second render.
    again = api.post(f"/api/tracks/{track.pk}/versions/", {"duration": 10.0}, format="json").json()
    assert again["state"] == "done" and Job.objects.filter(kind="render_track_version").count() == 2


def test_an_anchor_places_that_downbeat(api, user, pipeline):
    track = TrackFactory(owner=user, audio=True, duration=24.0, seed=4)
    music = track.downbeats[4]
    res = api.post(f"/api/tracks/{track.pk}/versions/", {"duration": 15.0, "anchors": [[music, 6.0]]}, format="json")
    version = api.get(f"/api/tracks/{track.pk}/versions/").json()[0]
    assert res.status_code == 202 and version["state"] == "done", version["error"]
    ((chosen, at),) = version["plan"]["anchors"]
    assert abs(chosen - music) < 1e-3 and abs(at - 6.0) <= 1 / 25


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"duration": -3}, "duration"),
        ({"duration": 0.5}, "duration"),
        ({"duration": 10_000}, "duration"),
        ({"duration": "long"}, "duration"),
        ({}, "duration"),
        ({"duration": 10, "anchors": [[30.0, 2.0]]}, "anchors"),  # past the track's end
        ({"duration": 10, "anchors": [[3.0, 12.0]]}, "anchors"),  # past the version's end
        ({"duration": 10, "anchors": [[3.0, 1.0], [6.0, 4.0]]}, "anchors"),
        ({"duration": 10, "anchors": [[3.0]]}, "anchors"),
    ],
)
def test_bad_requests_say_what_is_wrong(api, user, body, field):
    track = TrackFactory(owner=user, duration=24.0)
    res = api.post(f"/api/tracks/{track.pk}/versions/", body, format="json")
    assert res.status_code == 400 and field in res.json(), res.content
    assert not Job.objects.exists()


def test_versions_are_private_and_need_an_analysed_track(api, other_api, user, pipeline):
    track = TrackFactory(owner=user, audio=True, duration=24.0, seed=5)
    mine = api.post(f"/api/tracks/{track.pk}/versions/", {"duration": 12.0}, format="json").json()
    # another user cannot see my private track, its versions or their files
    assert other_api.post(f"/api/tracks/{track.pk}/versions/", {"duration": 12.0}, format="json").status_code == 404
    assert other_api.get(f"/api/tracks/{track.pk}/versions/").status_code == 404
    assert other_api.get(f"/api/tracks/{track.pk}/versions/{mine['id']}/file").status_code == 404
    # on a shared track, each user sees only their own versions
    shared = TrackFactory(audio=True, duration=24.0, seed=6)
    api.post(f"/api/tracks/{shared.pk}/versions/", {"duration": 8.0}, format="json")
    assert other_api.get(f"/api/tracks/{shared.pk}/versions/").json() == []
    assert len(api.get(f"/api/tracks/{shared.pk}/versions/").json()) == 1
    pending = TrackFactory(owner=user, duration=24.0, state=TrackState.ANALYZING)
    assert api.post(f"/api/tracks/{pending.pk}/versions/", {"duration": 8.0}, format="json").status_code == 409


def test_a_failed_version_says_why(api, user, pipeline):
    track = TrackFactory(owner=user, duration=24.0, seed=7)  # no audio file behind it
    res = api.post(f"/api/tracks/{track.pk}/versions/", {"duration": 12.0}, format="json")
    assert res.status_code == 202
    version = api.get(f"/api/tracks/{track.pk}/versions/").json()[0]
    assert version["state"] == "failed" and "missing" in version["error"] and version["file_url"] is None
    # asking again after a failure starts a new render (a retry)
    again = api.post(f"/api/tracks/{track.pk}/versions/", {"duration": 12.0}, format="json").json()
    assert again["id"] != version["id"]
