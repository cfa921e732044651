"""The light term in the web app: a video keeps its light curve, the ranking matches it against each track's level
frame by frame, and the per-track breakdown reports the correlation; rows analysed before either was kept still
get their recommendations, without the term."""

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest

from recommender import alignment
from recommender.alignment import Alignment, Weights
from recommender.arrange_sequence import edit_curve
from recommender.fine_sync import FINE_HOP
from recommender.light import loudness_curve
from recommender.mux import write_video
from tests.media import shot_frames
from tests.webapp.catalog.factories import TrackFactory
from tests.webapp.videos.factories import VideoFactory
from tests.webapp.videos.test_api import post_video
from tests.webapp.videos.test_fit_recommendations import with_join_features
from webapp.catalog.models import Track
from webapp.catalog.versions import kept_features, plan_for
from webapp.videos import services
from webapp.videos.models import Video
from webapp.videos.services import light_trace_of
from webapp.videos.tasks import default_peak

FPS = 25.0
FLASHES = [0.8, 1.6, 2.4, 3.8, 4.6, 5.4]  # seconds: away from the cut at 3 s
HOP = 512 / 22050  # the analysis's frame hop (onset envelope and level), seconds
TRACK_SECONDS, VIDEO_SECONDS, OFFSET = 40.0, 12.0, 20.0
# The light counts most: what is checked here is that it reaches the ranking and the breakdown.
LIGHT_FIRST = Weights(content=0.0, sync=0.1, energy=0.1, onset=0.05, metre=0.05, accent=0.05, light=0.65)


def flashing_video(path, seconds: float = 6.0):
    """Two shots (a cut at 3 s) of panned scenes, brighter for three frames at each of ``FLASHES``."""
    frames = shot_frames(seconds, cut_every=3.0, fps=FPS, seed=3).astype(np.float32)
    for t in FLASHES:
        i = round(t * FPS)
        frames[i : i + 3] = np.minimum(255.0, frames[i : i + 3] * 1.5 + 20.0)
    return write_video(path, frames.astype(np.uint8), FPS)


def level(seed: int, seconds: float = TRACK_SECONDS) -> np.ndarray:
    """A track's level (dB per ``HOP``): a quiet bed with 0.1-s hits at irregular moments, its own per seed."""
    rng = np.random.default_rng(seed)
    db = -35.0 + rng.normal(0.0, 1.0, int(seconds / HOP))
    for hit in np.cumsum(rng.uniform(0.2, 0.9, int(seconds / 0.2))):
        i = int(hit / HOP)
        db[i : i + int(0.1 / HOP)] += rng.uniform(8.0, 18.0)
    return db.astype(np.float32)


def track_with_level(user, seed: int, *, kept: bool = True) -> Track:
    """A READY track with its onset envelope and, when ``kept``, its level (older rows have none)."""
    db = level(seed)
    onsets = np.clip((np.diff(db, prepend=db[0]) / 18.0), 0.0, 1.0)
    return TrackFactory(
        owner=user, seed=seed, duration=TRACK_SECONDS, onset_hop=HOP,
        onset_envelope=onsets.astype(np.float16).tobytes(),
        frame_loudness=db.astype(np.float16).tobytes() if kept else None,
    )  # fmt: skip


def video_lit_by(user, track: Track | None, *, offset: float = OFFSET, seed: int = 0) -> Video:
    """A video whose light follows ``track``'s level from ``offset`` s (None: a video analysed before the light
    curve was kept)."""
    light = None
    if track is not None:
        db = np.frombuffer(bytes(track.frame_loudness), dtype=np.float16).astype(np.float32)
        curve = loudness_curve(db, HOP, TRACK_SECONDS)
        start = round(offset / FINE_HOP)
        window = curve[start : start + round(VIDEO_SECONDS / FINE_HOP)]
        noise = np.random.default_rng(seed).normal(0.0, 0.3 * window.std(), len(window))
        light = (0.02 * (window + noise)).astype(np.float16).tobytes()  # log brightness moves far less than dB
    return VideoFactory(owner=user, duration=VIDEO_SECONDS, fps=FPS, cut_every=2.0, seed=seed, light=light)


@pytest.fixture
def light_first(monkeypatch):
    monkeypatch.setattr(alignment, "load_weights", lambda *args, **kwargs: LIGHT_FIRST)


def test_an_analysed_video_keeps_its_light_curve(api, user, pipeline, tmp_path):
    res = post_video(api, flashing_video(tmp_path / "flashes.mp4"))
    assert res.status_code == 201, res.content
    video = Video.objects.get(pk=res.json()["id"])
    assert video.state == "ready", video.error
    light = video.light_curve
    assert light.dtype == np.float32 and len(light) == round(6.0 / FINE_HOP)
    bright = light > 0.5 * light.max()
    starts = np.flatnonzero(bright & ~np.r_[False, bright[:-1]]) * FINE_HOP
    assert starts == pytest.approx(FLASHES, abs=1 / FPS)  # every flash, to the frame, and nothing else


def trace_correlation(trace: dict) -> float:
    return float(np.corrcoef(trace["picture"], trace["music"])[0, 1])


@pytest.mark.django_db
def test_the_track_whose_level_the_light_follows_comes_first_and_draws_it(api, user, light_first):
    tracks = [track_with_level(user, seed) for seed in (31, 32, 33, 34)]
    video = video_lit_by(user, tracks[2])
    res = api.get(f"/api/videos/{video.pk}/recommendations/?mode=alignment&k=4")
    assert res.status_code == 200, res.content
    recs = res.json()
    assert [r["track"]["id"] for r in recs][0] == tracks[2].pk, recs
    assert recs[0]["offset_seconds"] == pytest.approx(OFFSET, abs=1 / FPS)  # to the frame
    assert recs[0]["light"] > 0.8
    assert all(-1.0 <= r["light"] < 0.5 for r in recs[1:])  # the others' level does not move with this light
    for r in recs:  # each result with a path draws the light against the level
        trace = r["light_trace"]
        assert trace["hop"] == pytest.approx(0.1)
        assert len(trace["picture"]) == len(trace["music"]) == round(VIDEO_SECONDS / trace["hop"])
    assert trace_correlation(recs[0]["light_trace"]) > 0.9  # the picture pulses with this track at this offset
    assert all(trace_correlation(r["light_trace"]) < 0.5 for r in recs[1:])
    # By clip vector nothing was aligned: no path, no trace.
    flat = api.get(f"/api/videos/{video.pk}/recommendations/?mode=global&k=4").json()
    assert flat and all(r["light_trace"] is None for r in flat)


@pytest.mark.django_db
@pytest.mark.parametrize("old", ["video", "track"])
def test_rows_analysed_before_the_light_still_get_recommendations(api, user, light_first, old):
    tracks = [track_with_level(user, seed) for seed in (41, 42, 43)]
    if old == "track":
        tracks.append(track_with_level(user, 44, kept=False))  # no level: only this track's light is not measured
    video = video_lit_by(user, None if old == "video" else tracks[0])
    res = api.get(f"/api/videos/{video.pk}/recommendations/?mode=alignment&k=5")
    assert res.status_code == 200, res.content
    recs = res.json()
    assert sorted(r["track"]["id"] for r in recs) == sorted(t.pk for t in tracks)
    assert all(r["onset"] is not None for r in recs)  # the other terms are measured
    unmeasured = [r for r in recs if r["light"] is None]
    if old == "video":
        assert len(unmeasured) == len(recs) and all(r["light_trace"] is None for r in recs)  # nothing to draw
    else:  # the old track does not switch the term off for the others: the lit track still comes first by it
        assert [r["track"]["id"] for r in unmeasured] == [tracks[3].pk] and unmeasured[0]["light_trace"] is None
        assert recs[0]["track"]["id"] == tracks[0].pk and recs[0]["light"] > 0.8 and recs[0]["light_trace"]


@pytest.mark.django_db
def test_a_fitted_edit_is_matched_by_the_level_it_plays(api, user, light_first):
    tracks = [with_join_features(track_with_level(user, seed)) for seed in (51, 52, 53)]
    video = video_lit_by(user, None)
    # The light follows track 52 as the fitted edit plays it: pieces of the track, not one stretch of it.
    plan = plan_for(tracks[1], VIDEO_SECONDS, peak=default_peak(video), features=kept_features(tracks[1]))
    assert len(plan.pieces) > 1 or plan.pieces[0].src_start > 0  # an edit, not the track's first 12 s
    played = edit_curve(plan, level(52), HOP, centred=False)
    light = 0.02 * loudness_curve(played, HOP, VIDEO_SECONDS)
    Video.objects.filter(pk=video.pk).update(light=light.astype(np.float16).tobytes())
    res = api.get(f"/api/videos/{video.pk}/recommendations/?mode=alignment&k=3&fit=length")
    assert res.status_code == 200, res.content
    recs = res.json()
    assert [r["track"]["id"] for r in recs][0] == tracks[1].pk, recs
    assert all(r["fit"] is not None for r in recs)  # each an edit of the video's length, scored as edited
    assert recs[0]["light"] > 0.9 and all(abs(r["light"]) < 0.5 for r in recs[1:])
    trace = recs[0]["light_trace"]  # on the edit's timeline: the light pulses with the edit as played
    assert np.corrcoef(trace["picture"], trace["music"])[0, 1] > 0.9


@pytest.mark.django_db
def test_no_trace_when_the_light_term_weighs_nothing(api, user, monkeypatch):
    monkeypatch.setattr(alignment, "load_weights", lambda *args, **kwargs: replace(LIGHT_FIRST, light=0.0))
    tracks = [track_with_level(user, seed) for seed in (31, 32)]
    video = video_lit_by(user, tracks[1])
    recs = api.get(f"/api/videos/{video.pk}/recommendations/?mode=alignment&k=2").json()
    assert len(recs) == 2 and all(r["path"] and r["light_trace"] is None for r in recs), recs


def test_a_long_videos_trace_is_drawn_with_coarser_steps():
    long = np.random.default_rng(0).normal(0.0, 1.0, round(150.0 / FINE_HOP)).astype(np.float32)  # 2.5 minutes
    track = SimpleNamespace(loudness=np.concatenate([long, long]))
    result = Alignment(score=1.0, offset=0.5, content=0.0, sync=0.0, energy=0.0, path=[(0.0, 0.5)], light=0.4)
    trace = light_trace_of(long, track, result)
    assert len(trace["picture"]) == len(trace["music"]) == services.TRACE_POINTS
    assert trace["hop"] == pytest.approx(0.25)  # 150 s in 600 points
    assert light_trace_of(long[:2400], track, result)["hop"] == pytest.approx(0.1)  # a minute: every 0.1 s
    assert light_trace_of(long, track, replace(result, path=[])) is None  # beyond the top results: not drawn
