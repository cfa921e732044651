"""Previews fitted to the video: the track re-arranged along its bars to the video's length, with the plan."""

import numpy as np
import pytest

from recommender.video import probe_video
from tests.webapp.catalog.factories import TrackFactory
from tests.webapp.videos.factories import VideoFactory
from webapp.videos.models import Preview

pytestmark = pytest.mark.django_db


def test_a_fitted_preview_lasts_the_video_ends_on_the_ending_and_exports_its_joins(api, user, pipeline, tmp_path):
    track = TrackFactory(owner=user, seed=21, duration=20.0, audio=True)
    vid = VideoFactory(owner=user, duration=13.0, picture=True).pk
    res = api.post(f"/api/videos/{vid}/previews/", {"track": track.pk, "fit": "length"}, format="json")
    assert res.status_code == 202, res.content
    preview = Preview.objects.get(pk=res.json()["id"])
    assert preview.state == "ready", preview.error
    plan = preview.plan
    assert plan["target"] == pytest.approx(13.0)
    assert sum(p["src_end"] - p["src_start"] for p in plan["pieces"]) == pytest.approx(13.0, abs=1 / 25)
    downbeats = np.array(track.downbeats)
    for join in plan["joins"]:
        assert np.min(np.abs(downbeats - join["src_from"])) < 1e-3 and np.min(np.abs(downbeats - join["src_to"])) < 1e-3
    # the default anchor: the track's strongest change on the video's strongest cut, met within a frame
    ((music, at),) = plan["anchors"]
    assert any(abs(at - a) < 1 / 25 for a, _ in preview.video.shots[1:]) or not plan["anchors"]
    listed = api.get(f"/api/videos/{vid}/previews/").json()
    assert listed[0]["fit"] == "length" and listed[0]["plan"] == plan
    out = tmp_path / "fitted.mp4"
    out.write_bytes(b"".join(api.get(listed[0]["file_url"]).streaming_content))
    info = probe_video(out)
    assert info.has_audio and abs(info.duration - 13.0) < 0.2
    # markers follow the edit: its joins and the bars where the plan put them
    csv = api.get(f"/api/videos/{vid}/markers/?track={track.pk}&preview={preview.pk}&as=csv").content.decode()
    rows = [r.split(",") for r in csv.strip().splitlines()[1:]]
    assert [float(r[0]) for r in rows if r[2] == "join"] == [pytest.approx(j["out_time"], abs=1e-3)
                                                             for j in plan["joins"]]  # fmt: skip
    assert all(0 <= float(r[0]) < 13.0 for r in rows)
    # the same request again is the same preview; a different anchor is another one
    again = api.post(f"/api/videos/{vid}/previews/", {"track": track.pk, "fit": "length"}, format="json").json()
    assert again["id"] == preview.pk


def test_an_anchor_lands_its_downbeat_on_the_video_second(api, user, pipeline):
    track = TrackFactory(owner=user, seed=22, duration=30.0, audio=True)
    vid = VideoFactory(owner=user, duration=12.0).pk
    music = track.downbeats[6]
    body = {"track": track.pk, "fit": "length", "anchors": [[music, 5.0]]}
    preview = Preview.objects.get(pk=api.post(f"/api/videos/{vid}/previews/", body, format="json").json()["id"])
    # no picture file behind this video: the render fails at the mux, after the plan was made and kept
    ((chosen, at),) = preview.plan["anchors"]
    assert abs(chosen - music) < 1e-3 and abs(at - 5.0) <= 1 / 25


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"fit": "loop"}, "fit"),
        ({"fit": "length", "anchors": [[5.0, 30.0]]}, "anchors"),  # past the video's end
        ({"fit": "length", "anchors": [[500.0, 3.0]]}, "anchors"),  # past the track's end
        ({"fit": "length", "anchors": [[-1.0, 3.0]]}, "anchors"),
        ({"fit": "length", "anchors": [[1.0, 3.0], [2.0, 4.0]]}, "anchors"),
        ({"anchors": [[1.0, 3.0]]}, "anchors"),  # anchors need fit=length
    ],
)
def test_bad_fitted_requests_get_a_400_with_the_field(api, user, body, field):
    track = TrackFactory(owner=user, duration=30.0)
    vid = VideoFactory(owner=user, duration=12.0).pk
    res = api.post(f"/api/videos/{vid}/previews/", {"track": track.pk, **body}, format="json")
    assert res.status_code == 400 and field in res.json(), res.content
    assert not Preview.objects.exists()


def test_another_users_video_is_a_404(api, other_api, user):
    track = TrackFactory(duration=30.0)  # shared
    vid = VideoFactory(owner=user, duration=12.0).pk
    res = other_api.post(f"/api/videos/{vid}/previews/", {"track": track.pk, "fit": "length"}, format="json")
    assert res.status_code == 404


def test_the_fit_plan_before_rendering(api, other_api, user):
    track = TrackFactory(owner=user, seed=23, duration=30.0, audio=True)
    vid = VideoFactory(owner=user, duration=12.0).pk
    res = api.get(f"/api/videos/{vid}/fit-plan/?track={track.pk}")
    assert res.status_code == 200, res.content
    plan = res.json()
    assert sum(p["src_end"] - p["src_start"] for p in plan["pieces"]) == pytest.approx(12.0, abs=1 / 25)
    assert plan["pieces"][-1]["src_end"] == pytest.approx(30.0, abs=0.01) or plan["anchors"]
    music = track.downbeats[5]
    anchored = api.get(f"/api/videos/{vid}/fit-plan/?track={track.pk}&music={music}&at=4.5").json()
    ((chosen, at),) = anchored["anchors"]
    assert abs(chosen - music) < 1e-3 and abs(at - 4.5) <= 1 / 25
    assert not Preview.objects.exists()  # nothing rendered, nothing stored
    hit = api.get(f"/api/videos/{vid}/fit-plan/?track={track.pk}&at=7.25").json()  # the strongest change at 7.25 s
    assert [round(a[1], 2) for a in hit["anchors"]] in ([7.25], [])
    for query, field in ((f"track={track.pk}&at=40", "at"), (f"track={track.pk}&music=3&at=40", "anchors"),
                         (f"track={track.pk}&music=99", "anchors"), ("track=999999", "track")):  # fmt: skip
        bad = api.get(f"/api/videos/{vid}/fit-plan/?{query}")
        assert bad.status_code == 400 and field in bad.json(), (query, bad.content)
    assert other_api.get(f"/api/videos/{vid}/fit-plan/?track={track.pk}").status_code == 404
