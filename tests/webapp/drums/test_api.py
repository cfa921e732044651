import io

import numpy as np
import pytest
import soundfile as sf

from recommender.drums.render import from_midi_bytes
from tests.webapp.drums.factories import DrumSessionFactory
from webapp.drums.models import DrumLoop

pytestmark = pytest.mark.django_db


def test_session_flow_next_rate_next(api, user):
    res = api.post("/api/drum-sessions/", {"name": "house", "tempo": 124, "swing": 0.1}, format="json")
    assert res.status_code == 201
    sid = res.json()["id"]
    first = api.get(f"/api/drum-sessions/{sid}/next/").json()
    assert set(first["pattern"]) >= {"kick", "snare", "closed_hat"} and len(first["pattern"]["kick"]) == 16
    assert api.get(f"/api/drum-sessions/{sid}/next/").json()["id"] == first["id"]  # pending until rated
    res = api.post(f"/api/drum-sessions/{sid}/ratings/", {"loop": first["id"], "rating": "like"}, format="json")
    assert res.status_code == 201
    body = res.json()
    assert body["rated"]["rating"] == "like" and body["next"]["index"] == 1 and body["next"]["id"] != first["id"]
    stats = api.get(f"/api/drum-sessions/{sid}/").json()["stats"]
    assert stats["like"] == 1 and stats["dislike"] == 0
    p_first = round(first["p_like"], 3)
    assert api.get(f"/api/drum-sessions/{sid}/like-rate/").json() == [
        {"ratings": 1, "like_rate": 1.0, "predicted_rate": p_first, "p_like": p_first}
    ]


def test_rating_a_loop_from_another_session_is_rejected(api, user):
    mine = DrumSessionFactory(owner=user)
    other = DrumSessionFactory(owner=user)
    loop = api.get(f"/api/drum-sessions/{other.pk}/next/").json()
    res = api.post(f"/api/drum-sessions/{mine.pk}/ratings/", {"loop": loop["id"], "rating": "like"}, format="json")
    assert res.status_code == 400 and "not proposed in this session" in res.json()["loop"][0]
    assert DrumLoop.objects.get(pk=loop["id"]).rating is None


def test_rating_twice_is_idempotent(api, user):
    s = DrumSessionFactory(owner=user)
    loop = api.get(f"/api/drum-sessions/{s.pk}/next/").json()
    url = f"/api/drum-sessions/{s.pk}/ratings/"
    first = api.post(url, {"loop": loop["id"], "rating": "like"}, format="json").json()
    again = api.post(url, {"loop": loop["id"], "rating": "like"}, format="json").json()
    assert again["next"]["id"] == first["next"]["id"]  # the same pending proposal, no new loop
    assert s.loops.count() == 2 and s.loops.filter(rating="like").count() == 1
    assert len(api.get(f"/api/drum-sessions/{s.pk}/like-rate/").json()) == 1


def test_a_loop_never_proposed_is_400(api, user):
    s = DrumSessionFactory(owner=user)
    api.get(f"/api/drum-sessions/{s.pk}/next/")
    res = api.post(f"/api/drum-sessions/{s.pk}/ratings/", {"loop": 10**9, "rating": "like"}, format="json")
    assert res.status_code == 400 and "not proposed in this session" in res.json()["loop"][0]


def test_like_rate_shows_predictions_beside_real_likes(api, user):
    s = DrumSessionFactory(owner=user)
    url = f"/api/drum-sessions/{s.pk}/ratings/"
    loop = api.get(f"/api/drum-sessions/{s.pk}/next/").json()
    predicted = []
    for rating in ["like", "dislike", "skip", "like"]:
        predicted.append(loop["p_like"])
        loop = api.post(url, {"loop": loop["id"], "rating": rating}, format="json").json()["next"]
    points = api.get(f"/api/drum-sessions/{s.pk}/like-rate/").json()
    assert [p["like_rate"] for p in points] == [1.0, 0.5, 0.667]  # the skip is not a point
    kept = [predicted[0], predicted[1], predicted[3]]
    assert [p["p_like"] for p in points] == [round(v, 3) for v in kept]
    assert points[-1]["predicted_rate"] == round(sum(kept) / 3, 3)
    assert 0.0 <= loop["p_like"] <= 1.0  # the next loop's prediction, drawn beside the curve


def test_bad_rating_values_are_400(api, user):
    s = DrumSessionFactory(owner=user)
    loop = api.get(f"/api/drum-sessions/{s.pk}/next/").json()
    assert (
        api.post(
            f"/api/drum-sessions/{s.pk}/ratings/", {"loop": loop["id"], "rating": "meh"}, format="json"
        ).status_code
        == 400
    )
    assert (
        api.post(f"/api/drum-sessions/{s.pk}/ratings/", {"loop": "x", "rating": "like"}, format="json").status_code
        == 400
    )
    assert api.post("/api/drum-sessions/", {"tempo": 500}, format="json").status_code == 400


def test_sessions_and_loops_belong_to_their_user(api, other_api, user):
    s = DrumSessionFactory(owner=user)
    loop = api.get(f"/api/drum-sessions/{s.pk}/next/").json()
    urls = [f"/api/drum-sessions/{s.pk}/{tail}" for tail in ("", "next/", "favourites/", "loops/", "like-rate/")]
    urls += [f"/api/drum-loops/{loop['id']}/{tail}" for tail in ("", "audio/", "midi/")]
    for url in urls:
        assert other_api.get(url).status_code == 404, url
    res = other_api.post(f"/api/drum-sessions/{s.pk}/ratings/", {"loop": loop["id"], "rating": "like"}, format="json")
    assert res.status_code == 404
    assert (
        other_api.post(f"/api/drum-loops/{loop['id']}/favourite/", {"favourite": True}, format="json").status_code
        == 404
    )
    assert other_api.get("/api/drum-sessions/").json()["results"] == []


def test_audio_and_midi_downloads(api, user):
    s = DrumSessionFactory(owner=user, tempo=100.0)
    loop = api.get(f"/api/drum-sessions/{s.pk}/next/").json()
    res = api.get(loop["audio_url"])
    assert res.status_code == 200 and res["Content-Type"] == "audio/wav"
    audio, sr = sf.read(io.BytesIO(res.content))
    assert sr == 44100 and len(audio) == round(16 * 60 / 100 / 4 * 44100)
    fast = sf.read(io.BytesIO(api.get(loop["audio_url"] + "?tempo=150").content))[0]
    assert len(fast) == round(16 * 60 / 150 / 4 * 44100)
    assert api.get(loop["audio_url"] + "?tempo=abc").status_code == 400
    assert api.get(loop["audio_url"] + "?swing=2").status_code == 400
    midi = api.get(loop["midi_url"])
    assert midi.status_code == 200 and midi["Content-Disposition"].startswith("attachment")
    pattern, tempo = from_midi_bytes(midi.content)
    assert tempo == 100.0
    kick = np.array(loop["pattern"]["kick"]) > 0
    assert np.array_equal(pattern[0] > 0, kick)


def test_favourites(api, user):
    s = DrumSessionFactory(owner=user)
    loop = api.get(f"/api/drum-sessions/{s.pk}/next/").json()
    assert api.post(f"/api/drum-loops/{loop['id']}/favourite/", {"favourite": True}, format="json").json()["favourite"]
    favs = api.get(f"/api/drum-sessions/{s.pk}/favourites/").json()  # paginated, like loops/
    assert favs["count"] == 1 and favs["next"] is None and [f["id"] for f in favs["results"]] == [loop["id"]]


def test_imported_kit_is_used_by_a_session(api, user, tmp_path, settings):
    from django.core.management import call_command

    settings.MEDIA_ROOT = tmp_path / "media"
    sr = 44100
    tone = 0.8 * np.sin(2 * np.pi * 2500 * np.arange(int(0.15 * sr)) / sr).astype(np.float32)
    (tmp_path / "kit").mkdir()
    sf.write(tmp_path / "kit" / "snare.wav", tone, sr)
    call_command("import_drum_kit", str(tmp_path / "kit"), "--name", "test kit")
    kits = api.get("/api/drum-kits/").json()["results"]
    assert kits[0]["name"] == "test kit" and kits[0]["instruments"] == {"snare": "snare.wav"} and kits[0]["shared"]
    res = api.post("/api/drum-sessions/", {"kit": kits[0]["id"]}, format="json")
    assert res.status_code == 201 and res.json()["kit"] == kits[0]["id"]
    loop = api.get(f"/api/drum-sessions/{res.json()['id']}/next/").json()
    assert api.get(loop["audio_url"]).status_code == 200
