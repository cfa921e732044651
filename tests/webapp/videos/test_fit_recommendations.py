"""Recommendations fitted to the video (`?fit=length`): each track edited to the video's length, the edit scored."""

import numpy as np
import pytest

from recommender.arrange_features import DownbeatFeatures, to_bytes
from tests.webapp.catalog.factories import TrackFactory
from tests.webapp.videos.factories import VideoFactory
from webapp.catalog.models import Track
from webapp.videos import services
from webapp.videos.tasks import default_peak

pytestmark = pytest.mark.django_db
FRAME = 1 / 25


def with_join_features(track: Track) -> Track:
    """The track with join features kept, as the analysis keeps them: chroma, timbre, loudness at each downbeat
    (drawn from the track's seed, bars of one section alike), so that plans need no audio file."""
    rng = np.random.default_rng(track.pk)
    n = len(track.downbeats)
    section = np.arange(n) // 8
    chroma = np.abs(rng.normal(size=(section.max() + 1, 12)))[section] + 0.1 * np.abs(rng.normal(size=(n, 12)))
    chroma /= np.linalg.norm(chroma, axis=1, keepdims=True)
    timbre = rng.normal(size=(section.max() + 1, 13))[section] + 0.2 * rng.normal(size=(n, 13))
    loud = -20.0 + 3.0 * rng.normal(size=section.max() + 1)[section]
    feats = DownbeatFeatures(np.array(track.downbeats), track.duration, chroma, chroma, timbre, timbre, loud, loud,
                             np.zeros(n), 1.0)  # fmt: skip
    Track.objects.filter(pk=track.pk).update(join_features=to_bytes(feats))
    track.refresh_from_db()
    return track


def test_fitted_recommendations_carry_plans_of_the_videos_length_ranked_by_the_edit(api, user):
    ids = [with_join_features(TrackFactory(owner=user, seed=70 + i, duration=d)).pk
           for i, d in enumerate((20.0, 30.0, 45.0))]  # fmt: skip
    TrackFactory(owner=user, seed=79, duration=10.0)  # shorter than the video: not a candidate
    video = VideoFactory(owner=user, duration=13.0, cut_every=2.6)
    base = f"/api/videos/{video.pk}/recommendations/?mode=alignment&k=3"
    plain = {r["track"]["id"]: r for r in api.get(base).json()}
    res = api.get(f"{base}&fit=length")
    assert res.status_code == 200, res.content
    fitted = res.json()
    assert sorted(r["track"]["id"] for r in fitted) == sorted(ids) == sorted(plain)
    assert all(r.get("fit") is None for r in plain.values())
    assert any(r["fit"]["joins"] for r in fitted) and any(r["fit"]["anchors"] for r in fitted)
    assert api.get(f"{base}&fit=length").json() == fitted  # again, from the fitted edits kept by the process
    scores = [r["score"] for r in fitted]
    assert scores == sorted(scores, reverse=True)
    peak = default_peak(video)
    for r in fitted:
        track, plan = Track.objects.get(pk=r["track"]["id"]), r["fit"]
        assert plan["target"] == pytest.approx(13.0)
        assert sum(p["src_end"] - p["src_start"] for p in plan["pieces"]) == pytest.approx(13.0, abs=FRAME)
        downbeats = np.array(track.downbeats)
        for join in plan["joins"]:
            assert min(abs(downbeats - join["src_from"])) < 1e-3 and min(abs(downbeats - join["src_to"])) < 1e-3
        assert [a[1] for a in plan["anchors"]] in ([pytest.approx(peak, abs=FRAME)], [])  # the default anchor
        assert r["offset_seconds"] == pytest.approx(plan["pieces"][0]["src_start"], abs=1e-3)
        assert r["unfitted_score"] == pytest.approx(plain[track.pk]["score"], abs=1e-4)
        # the path is in track seconds: each shot start lands where the plan plays it
        assert r["path"][0][0] == 0 and r["path"][-1][0] == pytest.approx(13.0, abs=0.01)
        for vt, mt in r["path"][:-1]:
            piece = [p for p in plan["pieces"] if p["out_start"] <= vt + 1e-6][-1]
            assert mt == pytest.approx(piece["src_start"] + vt - piece["out_start"], abs=0.3)
    # a brief then steers the fitted results, each keeping its plan
    steered = api.get(f"{base}&fit=length&prompt=slow&text_weight=1").json()
    assert sorted(r["track"]["id"] for r in steered) == sorted(ids)
    assert all(r["fit"] and r["brief"] for r in steered)
    tempos = [r["track"]["tempo"] for r in steered]
    assert tempos[0] == min(tempos)


def test_fit_asks_for_the_alignment_mode(api, user):
    TrackFactory(owner=user, seed=80, duration=30.0)
    video = VideoFactory(owner=user, duration=12.0)
    base = f"/api/videos/{video.pk}/recommendations/"
    bad = api.get(f"{base}?mode=global&fit=length")
    assert bad.status_code == 400 and "mode=alignment" in bad.json()["fit"][0]
    assert api.get(f"{base}?fit=loop").status_code == 400


def test_a_track_without_kept_features_keeps_its_own_alignment_after_the_fitted(api, user):
    ok = with_join_features(TrackFactory(owner=user, seed=81, duration=30.0))
    older = TrackFactory(owner=user, seed=82, duration=30.0)  # analysed before join features were kept
    video = VideoFactory(owner=user, duration=12.0)
    recs = api.get(f"/api/videos/{video.pk}/recommendations/?fit=length&k=5").json()
    assert [r["track"]["id"] for r in recs] == [ok.pk, older.pk]
    assert recs[0]["fit"] is not None and recs[1].get("fit") is None
    older.refresh_from_db()
    assert older.join_features is None  # the ranking never decodes a track (seconds each)


def test_the_process_keeps_fitted_edits_up_to_a_budget_of_seconds(api, user, monkeypatch):
    monkeypatch.setattr(services, "FITTED_SECONDS", 30.0)
    monkeypatch.setattr(services, "_FITTED", {})
    ids = [with_join_features(TrackFactory(owner=user, seed=90 + i, duration=30.0)).pk for i in range(3)]
    video = VideoFactory(owner=user, duration=12.0)
    recs = api.get(f"/api/videos/{video.pk}/recommendations/?fit=length&k=3").json()
    assert sorted(r["track"]["id"] for r in recs) == sorted(ids) and all(r["fit"] for r in recs)
    kept = list(services._FITTED)
    assert len(kept) == 2 and {k[2] for k in kept} == {12.0}  # 2 edits of 12 s fit in 30 s; the oldest went
