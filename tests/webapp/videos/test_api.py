import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from recommender.analysis import analyze
from recommender.mux import write_video
from recommender.synth.music import make_song
from recommender.synth.music_video import EditingStyle, render
from tests.media import write_audio, write_shot_video, write_video_only
from tests.webapp.catalog.factories import TrackFactory
from tests.webapp.catalog.test_api import song_upload, upload
from tests.webapp.videos.factories import VideoFactory
from webapp.videos.models import Preview, Video, VideoState

pytestmark = pytest.mark.django_db

FOLLOWING = EditingStyle(downbeat_cut_p=0.6, section_cut_p=1.0, random_cut_rate=0.0, energy_follow=0.8,
                         beat_flash=0.0, mode_colour=0.8, motion_scale=1.0)  # fmt: skip


def file_upload(path, name=None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name or path.name, path.read_bytes())


def post_video(api, path, name=None):
    return api.post("/api/videos/", {"file": file_upload(path, name)}, format="multipart")


def music_video(tmp_path, seed: int, offset: float, seconds: float, song_seconds: float) -> object:
    """A silent video edited to song ``seed`` from ``offset``: what a user brings to find its music."""
    song = make_song(seed, max_seconds=song_seconds)
    a = analyze(song.audio, song.sr)
    frames = render(a, np.random.default_rng(seed), start=offset, seconds=seconds, fps=12.0, style=FOLLOWING)
    return write_video(tmp_path / f"edit-{seed}.mp4", frames, 12.0)


def test_clip_cut_from_a_known_track_finds_it_first_with_its_offset(api, user, pipeline, tmp_path):
    ids = {seed: upload(api, song_upload(seed, seconds=60.0)).json()["id"] for seed in (11, 12, 13, 14, 15, 16)}
    path = music_video(tmp_path, 13, offset=21.0, seconds=16.0, song_seconds=60.0)
    res = post_video(api, path)
    assert res.status_code == 201, res.content
    video = api.get(f"/api/videos/{res.json()['id']}/").json()
    assert video["state"] == "ready", video["error"]
    assert video["progress"]["percent"] == 100 and len(video["shots"]) >= 2
    assert set(video["tags"]) and abs(video["duration"] - 16.0) < 0.2
    recs = api.get(f"/api/videos/{video['id']}/recommendations/?mode=alignment&k=3").json()
    assert [r["track"]["id"] for r in recs][0] == ids[13], recs
    assert abs(recs[0]["offset_seconds"] - 21.0) <= 1.0
    path_points = recs[0]["path"]
    assert path_points[0][0] == 0 and path_points[-1][0] == pytest.approx(16.0, abs=0.01)
    glob = api.get(f"/api/videos/{video['id']}/recommendations/?mode=global&k=6").json()
    assert sorted(r["track"]["id"] for r in glob) == sorted(ids.values())
    assert all(r["path"] == [] for r in glob) and glob[0]["score"] >= glob[-1]["score"]


def test_preview_markers_and_privacy(api, other_api, user, pipeline, tmp_path):  # pipeline: renders the preview
    track_id = TrackFactory(owner=user, seed=21, duration=40.0, audio=True).pk
    vid = VideoFactory(owner=user, duration=6.0, picture=True).pk
    res = api.post(f"/api/videos/{vid}/previews/", {"track": track_id, "offset": 10.0}, format="json")
    assert res.status_code == 202, res.content
    preview = Preview.objects.get(pk=res.json()["id"])
    assert preview.state == "ready", preview.error
    listed = api.get(f"/api/videos/{vid}/previews/").json()
    file_url = listed[0]["file_url"]
    got = api.get(file_url)
    assert got.status_code == 200 and got["Content-Type"] == "video/mp4"
    from recommender.video import probe_video

    out = tmp_path / "preview.mp4"
    out.write_bytes(b"".join(got.streaming_content))
    info = probe_video(out)
    assert info.has_audio and abs(info.duration - 6.0) < 0.2
    # the same request again is the same preview, not a second render
    again = api.post(f"/api/videos/{vid}/previews/", {"track": track_id, "offset": 10.0}, format="json").json()
    assert again["id"] == preview.pk and Preview.objects.count() == 1

    csv = api.get(f"/api/videos/{vid}/markers/?track={track_id}&offset=10&as=csv")
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    rows = csv.content.decode().strip().splitlines()
    assert rows[0] == "seconds,timecode,type,name" and len(rows) > 1
    times = [float(r.split(",")[0]) for r in rows[1:]]
    assert all(0 <= t < 6.0 for t in times) and times == sorted(times)
    edl = api.get(f"/api/videos/{vid}/markers/?track={track_id}&offset=10&as=edl&fps=25").content.decode()
    assert edl.startswith("TITLE:") and "FCM: NON-DROP FRAME" in edl and "|M:" in edl

    for url in (f"/api/videos/{vid}/", f"/api/videos/{vid}/recommendations/", f"/api/videos/{vid}/previews/",
                file_url, f"/api/videos/{vid}/markers/?track={track_id}", f"/api/videos/{vid}/file/"):  # fmt: skip
        assert other_api.get(url).status_code == 404, url
    assert other_api.post(f"/api/videos/{vid}/previews/", {"track": track_id}, format="json").status_code == 404
    assert other_api.delete(f"/api/videos/{vid}/").status_code == 404
    assert other_api.get("/api/videos/").json()["results"] == []


@pytest.mark.parametrize("make,name,expect", [
    (lambda p: write_video_only(p / "a.mp4"), "clip.txt", "unsupported file type"),
    (lambda p: write_audio(p / "a.wav", np.zeros(22050, dtype=np.float32)), "sound.mp4", "no video stream"),
    (lambda p: (p / "junk.mp4").write_bytes(b"\x00" * 5000) and p / "junk.mp4", "junk.mp4", "junk.mp4"),
])  # fmt: skip
def test_bad_uploads_get_a_clear_400(api, user, tmp_path, make, name, expect):
    res = post_video(api, make(tmp_path), name)
    assert res.status_code == 400, res.content
    assert expect in res.json()["file"][0]
    assert not Video.objects.exists()


def test_truncated_video_is_rejected_with_a_clear_400(api, user, tmp_path):
    whole = write_shot_video(tmp_path / "whole.mp4", seconds=4.0).read_bytes()
    # The MP4's index (the moov box) comes after the media data, so its first third has no index: unreadable.
    assert whole.index(b"moov") > len(whole) // 3
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole[: len(whole) // 3])
    res = post_video(api, cut)
    assert res.status_code == 400, res.content
    assert res.json()["file"][0].startswith("cut.mp4: not a readable audio or video file")
    assert not Video.objects.exists()


def test_limits(api, user, settings, tmp_path):
    settings.MAX_VIDEO_SECONDS = 3
    res = post_video(api, write_shot_video(tmp_path / "long.mp4", seconds=5.0))
    assert res.status_code == 400 and "longer than the limit" in res.json()["file"][0]
    settings.MAX_VIDEO_BYTES = 100
    res = post_video(api, write_shot_video(tmp_path / "big.mp4", seconds=1.0))
    assert res.status_code == 413


def test_bad_query_parameters(api, user, tmp_path):
    video = VideoFactory(owner=user, duration=4.0)
    base = f"/api/videos/{video.pk}/recommendations/"
    for query in ("mode=best", "k=0", "tags=nope", "structure=2", "tempo_min=fast", "method=magic"):
        assert api.get(f"{base}?{query}").status_code == 400, query
    pending = VideoFactory(owner=user, state=VideoState.ANALYZING)
    assert api.get(f"/api/videos/{pending.pk}/recommendations/").status_code == 409
    assert api.get(f"/api/videos/{video.pk}/markers/?track=999").status_code == 400
