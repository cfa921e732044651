"""A brief in words steers the video's ranking (`?prompt=&text_weight=`); a short video starts at the highlight."""

from tests.webapp.catalog.factories import TrackFactory
from tests.webapp.videos.factories import VideoFactory


def test_a_brief_steers_the_videos_ranking_and_explains_it(api, user):
    slow = [TrackFactory(owner=user, seed=40 + i, tempo=68.0 + i, loudness=-30.0, mode="major", duration=60.0)
            for i in range(3)]  # fmt: skip
    fast = [TrackFactory(owner=user, seed=50 + i, tempo=150.0 + i, loudness=-6.0, mode="minor", duration=60.0)
            for i in range(3)]  # fmt: skip
    video = VideoFactory(owner=user, duration=8.0)
    base = f"/api/videos/{video.pk}/recommendations/?mode=global&k=6"
    plain = api.get(base).json()
    assert all(r["brief"] is None for r in plain)
    steered = api.get(f"{base}&prompt=slow and calm, for sleep&text_weight=1").json()
    top = {r["track"]["id"] for r in steered[:3]}
    assert top == {t.pk for t in slow}, [(r["track"]["tempo"], r["brief"]["score"]) for r in steered]
    assert "tempo" in steered[0]["brief"]["summary"]
    video_only = api.get(f"{base}&prompt=slow and calm, for sleep&text_weight=0").json()
    assert [r["track"]["id"] for r in video_only] == [r["track"]["id"] for r in plain]
    assert {t.pk for t in fast} <= {r["track"]["id"] for r in video_only}
    assert api.get(f"{base}&prompt={'x' * 501}").status_code == 400
    assert api.get(f"{base}&prompt=calm&text_weight=1.5").status_code == 400


def test_a_short_video_starts_at_each_tracks_highlight_in_global_mode(api, user):
    with_highlight = TrackFactory(owner=user, seed=61, duration=90.0, highlight_start=41.5, highlight_end=63.0)
    without = TrackFactory(owner=user, seed=62, duration=90.0)
    short = VideoFactory(owner=user, duration=8.0)
    recs = {r["track"]["id"]: r for r in api.get(f"/api/videos/{short.pk}/recommendations/?mode=global").json()}
    assert recs[with_highlight.pk]["offset_seconds"] == 41.5 and recs[without.pk]["offset_seconds"] == 0.0
    long = VideoFactory(owner=user, duration=30.0)  # longer than the highlight: from the start
    recs = {r["track"]["id"]: r for r in api.get(f"/api/videos/{long.pk}/recommendations/?mode=global").json()}
    assert recs[with_highlight.pk]["offset_seconds"] == 0.0


def test_global_mode_ranks_the_tracks_whose_beat_the_cuts_keep(api, user, settings):
    """On a picture that says nothing about the music, the video's cuts on a 100-BPM grid find the 100-BPM track."""
    settings.GLOBAL_PACE_WEIGHT = 1.0
    tracks = {bpm: TrackFactory(owner=user, seed=70 + i, tempo=bpm, duration=60.0).pk
              for i, bpm in enumerate((74.0, 87.0, 100.0, 113.0, 131.0, 152.0))}  # fmt: skip
    beat = 60.0 / 100.0
    cuts = [round(0.31 + beat * n, 3) for n in (3, 5, 9, 12, 13, 18, 22, 25, 30)]
    video = VideoFactory(owner=user, duration=20.0, cut_times=cuts, accents=[])
    recs = api.get(f"/api/videos/{video.pk}/recommendations/?mode=global&k=6").json()
    assert recs[0]["track"]["id"] == tracks[100.0], [(r["track"]["tempo"], r["score"]) for r in recs]
    settings.GLOBAL_PACE_WEIGHT = 0.0  # the clip vector alone, as before
    plain = api.get(f"/api/videos/{video.pk}/recommendations/?mode=global&k=6").json()
    assert [r["score"] for r in plain] == sorted((r["score"] for r in plain), reverse=True)
    assert {r["track"]["id"] for r in plain} == set(tracks.values())
