import io

import numpy as np
import pytest
import soundfile as sf
from django.core.files.uploadedfile import SimpleUploadedFile

from recommender.context.tags import CONTEXT_TAGS
from recommender.synth.music import make_song
from tests.media import click_track, write_av, write_video_only
from tests.webapp.catalog.factories import TrackFactory
from webapp.catalog.models import Track, TrackState

pytestmark = pytest.mark.django_db


def wav_upload(y: np.ndarray, name: str = "song.wav", sr: int = 22050) -> SimpleUploadedFile:
    buf = io.BytesIO()
    sf.write(buf, y, sr, format="WAV")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="audio/wav")


def song_upload(seed: int, seconds: float = 40.0) -> SimpleUploadedFile:
    return wav_upload(make_song(seed, max_seconds=seconds).audio, f"Demo Band - Song {seed}.wav")


def upload(api, f, **extra):
    return api.post("/api/tracks/", {"file": f, **extra}, format="multipart")


# End to end through the pipeline (upload → analysis → embedding → ready): the tests that take ``pipeline``.
# The others test the API on tracks from TrackFactory, which stores what the pipeline would have.


def test_upload_runs_the_pipeline(api, user, pipeline):
    res = upload(api, song_upload(1))
    assert res.status_code == 201, res.content
    body = res.json()
    assert body["title"] == "Song 1" and body["artist"] == "Demo Band" and body["mine"]
    track = Track.objects.get(pk=body["id"])
    assert track.state == TrackState.READY, track.error
    detail = api.get(f"/api/tracks/{track.pk}/").json()
    assert 60 <= detail["tempo"] <= 200 and detail["key"] and detail["mode"] in ("major", "minor")
    assert detail["sections"] and detail["sections"][0]["start"] == 0
    assert all(s["end"] > s["start"] for s in detail["sections"])
    assert abs(detail["sections"][-1]["end"] - detail["duration"]) < 0.1
    assert len(detail["waveform"]) == 600 and detail["downbeats"]
    assert {t["tag"] for t in detail["tags"]} == set(CONTEXT_TAGS)
    assert all(t["source"] == "rule" for t in detail["tags"])
    assert np.isclose(np.linalg.norm(track.vector), 1.0, atol=1e-4)
    assert all(s.embedding is not None for s in track.sections.all())


def test_similar_tracks_with_filters_and_delete(api, user):
    ids = [TrackFactory(owner=user, seed=seed).pk for seed in (2, 3, 4, 5)]
    res = api.get(f"/api/tracks/{ids[0]}/similar/?k=3")
    assert res.status_code == 200
    hits = res.json()
    assert len(hits) == 3 and ids[0] not in [h["track"]["id"] for h in hits]
    assert hits[0]["score"] >= hits[-1]["score"]
    tempos = {t.pk: t.tempo for t in Track.objects.all()}
    slow = min(tempos[i] for i in ids[1:])
    filtered = api.get(f"/api/tracks/{ids[0]}/similar/?tempo_max={slow + 0.01}").json()
    assert [h["track"]["id"] for h in filtered] == [i for i in ids[1:] if tempos[i] <= slow + 0.01]
    victim = hits[0]["track"]["id"]
    assert api.delete(f"/api/tracks/{victim}/").status_code == 204
    after = [h["track"]["id"] for h in api.get(f"/api/tracks/{ids[0]}/similar/?k=5").json()]
    assert victim not in after and len(after) == 2
    assert api.get(f"/api/tracks/{ids[0]}/similar/?k=0").status_code == 400
    assert api.get(f"/api/tracks/{ids[0]}/similar/?tags=nope").status_code == 400
    assert api.get(f"/api/tracks/{ids[0]}/similar/?tempo_min=fast").status_code == 400


def test_bad_uploads(api, user, settings, tmp_path):
    text = SimpleUploadedFile("notes.mp3", b"definitely not audio " * 200)
    res = upload(api, text)
    assert res.status_code == 400 and "not a readable audio or video file" in res.json()["file"][0]
    res = upload(api, SimpleUploadedFile("readme.txt", b"hello"))
    assert res.status_code == 400 and "unsupported file type" in res.json()["file"][0]
    mute = write_video_only(tmp_path / "mute.mp4")
    res = upload(api, SimpleUploadedFile("mute.mp4", mute.read_bytes()))
    assert res.status_code == 400 and "no audio stream" in res.json()["file"][0]
    settings.MAX_TRACK_SECONDS = 5
    res = upload(api, wav_upload(click_track(seconds=8), "long.wav"))
    assert res.status_code == 400 and "longer than the limit" in res.json()["file"][0]
    settings.MAX_TRACK_SECONDS = 600
    settings.MAX_TRACK_BYTES = 1000
    res = upload(api, wav_upload(click_track(seconds=2), "big.wav"))
    assert res.status_code == 413
    settings.MAX_TRACK_BYTES = 10**9
    assert upload(api, {"file": "x"}.get("file")).status_code == 400  # not a file at all
    assert Track.objects.count() == 0  # nothing was stored for any of these


def test_silent_track_fails_with_reason_and_can_be_reanalysed(api, user, pipeline):
    res = upload(api, wav_upload(np.zeros(22050 * 3, dtype=np.float32), "quiet.wav"))
    assert res.status_code == 201
    track = Track.objects.get(pk=res.json()["id"])
    assert track.state == TrackState.FAILED and "silent" in track.error
    assert api.post(f"/api/tracks/{track.pk}/reanalyse/").status_code == 202


def test_duplicate_upload_is_409(api, user):
    data = song_upload(6).read()
    assert upload(api, SimpleUploadedFile("a.wav", data)).status_code == 201
    res = upload(api, SimpleUploadedFile("b.wav", data))
    assert res.status_code == 409 and "already in the catalog" in res.json()["detail"]


def test_compressed_upload_and_video_soundtrack(api, user, tmp_path, pipeline):
    song = make_song(7, max_seconds=30)
    mp3 = write_av(tmp_path / "s.mp3", song.audio, song.sr, codec="mp3")
    assert upload(api, SimpleUploadedFile("s.mp3", mp3.read_bytes())).status_code == 201
    mp4 = write_av(tmp_path / "clip.mp4", song.audio, song.sr, codec="aac", video=True)
    res = upload(api, SimpleUploadedFile("clip.mp4", mp4.read_bytes()))
    assert res.status_code == 201
    assert Track.objects.get(pk=res.json()["id"]).state == TrackState.READY


def test_private_uploads_are_invisible_to_others(api, other_api, user):
    tid = TrackFactory(owner=user, seed=8).pk
    for url in ("", "similar/", "audio/"):
        assert other_api.get(f"/api/tracks/{tid}/{url}").status_code == 404, url
    assert other_api.post(f"/api/tracks/{tid}/tags/", {"tag": "party"}, format="json").status_code == 404
    assert other_api.delete(f"/api/tracks/{tid}/").status_code == 404
    assert tid not in [t["id"] for t in other_api.get("/api/tracks/").json()["results"]]
    assert api.patch(f"/api/tracks/{tid}/", {"public": True}, format="json").status_code == 200
    assert other_api.get(f"/api/tracks/{tid}/").status_code == 200
    assert other_api.delete(f"/api/tracks/{tid}/").status_code == 403
    assert other_api.patch(f"/api/tracks/{tid}/", {"title": "mine now"}, format="json").status_code == 403


def test_user_tags_override_for_that_user_only(api, other_api, user):
    tid = TrackFactory(owner=user, public=True, seed=9).pk
    res = api.post(f"/api/tracks/{tid}/tags/", {"tag": "sleep"}, format="json")
    assert res.status_code == 200
    sleep = next(t for t in res.json()["tags"] if t["tag"] == "sleep")
    assert sleep == {"tag": "sleep", "probability": 1.0, "source": "user", "model_version": 0}
    res = api.delete(f"/api/tracks/{tid}/tags/?tag=party")
    party = next(t for t in res.json()["tags"] if t["tag"] == "party")
    assert party["probability"] == 0.0 and party["source"] == "user"
    theirs = other_api.get(f"/api/tracks/{tid}/").json()["tags"]
    assert next(t for t in theirs if t["tag"] == "sleep")["source"] == "rule"
    assert api.post(f"/api/tracks/{tid}/tags/", {"tag": "bogus"}, format="json").status_code == 400


def test_audio_supports_range_requests_for_seeking(api, user):
    tid = TrackFactory(owner=user, seed=10, duration=20.0, audio=True).pk
    full = api.get(f"/api/tracks/{tid}/audio/")
    data = b"".join(full.streaming_content)
    assert full.status_code == 200 and full["Accept-Ranges"] == "bytes"
    part = api.get(f"/api/tracks/{tid}/audio/", HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206 and part["Content-Range"] == f"bytes 100-199/{len(data)}"
    assert part.content == data[100:200]
    tail = api.get(f"/api/tracks/{tid}/audio/", HTTP_RANGE="bytes=-50")
    assert tail.content == data[-50:]
    assert api.get(f"/api/tracks/{tid}/audio/", HTTP_RANGE=f"bytes={len(data) + 5}-").status_code == 416


def test_labels_trigger_tagger_retraining_in_batches(api, user, settings, pipeline):  # pipeline: runs the retrain
    from webapp.core.models import Job

    settings.TAGGER_MIN_LABELS = 2
    tid = TrackFactory(owner=user, seed=11, duration=20.0).pk
    api.post(f"/api/tracks/{tid}/tags/", {"tag": "focus"}, format="json")
    assert not Job.objects.filter(kind="retag_catalog").exists()
    api.delete(f"/api/tracks/{tid}/tags/?tag=party")
    retrain = Job.objects.get(kind="retag_catalog")
    assert retrain.state == "done" and retrain.result["tracks"] == 1
    api.post(f"/api/tracks/{tid}/tags/", {"tag": "relax"}, format="json")
    assert Job.objects.filter(kind="retag_catalog").count() == 1  # one new label is not enough yet


def test_crossmodal_vectors_when_the_model_exists(api, user, settings, tmp_path, pipeline):
    from recommender.models import crossmodal as cm
    from webapp.catalog.indexes import xm_section_index, xm_track_index

    settings.CROSSMODAL_MODEL_PATH = tmp_path / "xm.pt"
    cm.save(cm.CrossModal(), settings.CROSSMODAL_MODEL_PATH)
    track = Track.objects.get(pk=upload(api, song_upload(12, seconds=20)).json()["id"])
    assert track.state == TrackState.READY
    xm = np.frombuffer(bytes(track.xm_embedding), dtype=np.float32)
    assert xm.shape == (128,) and np.isclose(np.linalg.norm(xm), 1.0, atol=1e-4)
    assert not np.allclose(xm, track.vector)  # its own space, not the audio-similarity one
    assert len(xm_track_index()) == 1 and len(xm_section_index()) == track.sections.count()
    assert xm_track_index().search(xm[None], 1)[0][0].id == track.pk


def test_no_crossmodal_model_leaves_shared_space_empty(api, user, settings, tmp_path, pipeline):
    settings.CROSSMODAL_MODEL_PATH = tmp_path / "missing.pt"
    track = Track.objects.get(pk=upload(api, song_upload(13, seconds=20)).json()["id"])
    assert track.state == TrackState.READY and track.xm_embedding is None
