"""POST /api/search/sections/: a reference excerpt (file or catalog span) → where in the catalog it sounds."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf
from django.core.files.uploadedfile import SimpleUploadedFile

from recommender.synth.music import make_song
from tests.webapp.catalog.factories import TrackFactory
from webapp.catalog.indexes import passage_index
from webapp.catalog.models import Track, TrackState

SR = 22050


def audio_file(y: np.ndarray, name: str, fmt: str = "WAV") -> SimpleUploadedFile:
    buf = io.BytesIO()
    sf.write(buf, y, SR, format=fmt)
    return SimpleUploadedFile(name, buf.getvalue())


def mp3_round_trip(y: np.ndarray) -> np.ndarray:
    buf = io.BytesIO()
    sf.write(buf, y, SR, format="MP3")
    buf.seek(0)
    return sf.read(buf, dtype="float32")[0]


def search(api, **data):
    return api.post("/api/search/sections/", data, format="multipart" if "file" in data else "json")


@pytest.mark.slow
def test_an_excerpt_finds_its_track_and_place(api, user, other_user, pipeline):
    """Two songs in the catalog (one of them another user's private upload); a 10-s excerpt of the first, MP3
    re-encoded, 3 dB quieter, finds it within 2 s of where it was cut; the private song is never answered."""
    songs = [make_song(seed, max_seconds=45.0) for seed in (3, 4)]
    mine = api.post("/api/tracks/", {"file": audio_file(songs[0].audio, "a.wav")}, format="multipart").json()
    from rest_framework.test import APIClient

    other = APIClient()
    other.force_authenticate(other_user)
    theirs = other.post("/api/tracks/", {"file": audio_file(songs[1].audio, "b.wav")}, format="multipart").json()
    assert Track.objects.filter(state=TrackState.READY).count() == 2
    track = Track.objects.get(pk=mine["id"])
    assert track.passage_blocks is not None and len(passage_index()) > 0
    assert 0 <= track.highlight_start < track.highlight_end <= track.duration
    start = 17.0
    excerpt = mp3_round_trip(songs[0].audio[int(start * SR) : int((start + 10) * SR)]) * 10 ** (-3 / 20)
    res = search(api, file=audio_file(excerpt, "ref.mp3", "MP3"))
    assert res.status_code == 200, res.content
    hits = res.json()
    assert hits[0]["track"]["id"] == mine["id"] and abs(hits[0]["start"] - start) <= 2.0
    assert hits[0]["section"]["start"] <= hits[0]["start"] < hits[0]["section"]["end"]
    assert theirs["id"] not in [h["track"]["id"] for h in hits]
    # their own excerpt, searched by them, finds their track
    theirs_excerpt = songs[1].audio[int(5 * SR) : int(15 * SR)]
    res = other.post("/api/search/sections/", {"file": audio_file(theirs_excerpt, "r.wav")}, format="multipart")
    assert res.json()[0]["track"]["id"] == theirs["id"]
    # a span of a catalog track: other tracks only (the track itself is excluded), and never a private one
    res = search(api, track=mine["id"], start=5.0, seconds=10.0)
    assert res.status_code == 200 and all(h["track"]["id"] not in (mine["id"], theirs["id"]) for h in res.json())


@pytest.mark.django_db
def test_bad_references_get_a_400(api, user, other_user):
    silent = audio_file(np.zeros(10 * SR, dtype=np.float32), "silent.wav")
    res = search(api, file=silent)
    assert res.status_code == 400 and "silent" in res.json()["file"][0]
    corrupt = SimpleUploadedFile("broken.mp3", b"ID3\x03\x00" + bytes(range(256)) * 40)
    assert search(api, file=corrupt).status_code == 400
    short = audio_file(0.3 * np.sin(np.arange(SR) * 0.1).astype(np.float32), "short.wav")
    res = search(api, file=short)
    assert res.status_code == 400 and "at least 3 s" in res.json()["file"][0]
    assert search(api).status_code == 400  # neither a file nor a track
    private = TrackFactory(owner=other_user)
    assert search(api, track=private.pk).status_code == 404
    mine = TrackFactory(owner=user)
    assert search(api, track=mine.pk, seconds=2.0).status_code == 400  # under 3 s
    assert search(api, track=mine.pk).status_code == 409  # its file cannot be read (a factory track has none)
