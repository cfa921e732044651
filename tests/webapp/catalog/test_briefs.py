"""GET /api/tracks/?prompt=: the catalog ranked by a brief in words, with the reasons, among tracks you may see."""

from __future__ import annotations

import pytest

from tests.webapp.catalog.factories import TrackFactory
from webapp.catalog.models import CatalogVersion, TagLabel, Track, TrackState, TrackTag

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def lexicon_only(settings):
    settings.BRIEF_USE_MEANING = False  # the sentence encoder is tested in tests/recommender/test_brief.py


def tracks_for(api, prompt: str, **params) -> list[dict]:
    res = api.get("/api/tracks/", {"prompt": prompt, **params})
    assert res.status_code == 200, res.content
    return res.json()["results"]


def test_a_sleep_brief_ranks_slow_quiet_major_tracks_above_fast_loud_ones(api, user):
    calm = TrackFactory(title="Calm", tempo=66.0, loudness=-32.0, mode="major", owner=user)
    TrackFactory(title="Calm minor", tempo=68.0, loudness=-31.0, mode="minor")
    TrackFactory(title="Loud", tempo=150.0, loudness=-9.0, mode="major")
    TrackFactory(title="Loud minor", tempo=140.0, loudness=-10.0, mode="minor")
    TrackFactory(title="Not ready", state=TrackState.ANALYZING)
    results = tracks_for(api, "slow, calm, for sleep, not sad")
    assert [r["title"] for r in results] == ["Calm", "Calm minor", "Loud", "Loud minor"]
    top = results[0]["brief"]
    assert results[0]["id"] == calm.pk and top["score"] > results[2]["brief"]["score"]
    assert "slow → tempo ≤ 90 (66 BPM)" in top["summary"]
    groups = {g["words"]: g for g in top["matches"]}
    assert groups["not sad"]["negated"] and groups["not sad"]["traits"][0]["trait"] == "sad"
    # without a prompt the list is the plain list, in its own order
    plain = api.get("/api/tracks/").json()["results"]
    assert len(plain) == 5 and all(r["brief"] is None for r in plain)


def test_the_listeners_own_labels_count(api, user):
    a = TrackFactory(title="A", tempo=120.0, loudness=-20.0, mode="major")
    b = TrackFactory(title="B", tempo=120.0, loudness=-20.0, mode="major")
    TagLabel.objects.create(user=user, track=b, tag="focus", positive=True)
    TagLabel.objects.create(user=user, track=a, tag="focus", positive=False)
    assert [r["id"] for r in tracks_for(api, "for focus")] == [b.pk, a.pk]


def test_filters_apply_and_another_users_private_tracks_never_appear(api, user, other_user):
    mine = TrackFactory(title="Sunset mine", tempo=70.0, owner=user)
    TrackFactory(title="Sunset private", tempo=70.0, owner=other_user)
    published = TrackFactory(title="Sunset published", tempo=70.0, owner=other_user, public=True)
    TrackFactory(title="Sunset fast", tempo=150.0)
    ids = [r["id"] for r in tracks_for(api, "sunset, slow", tempo_max=100)]
    assert sorted(ids) == sorted([mine.pk, published.pk])


def test_bad_briefs_get_a_400(api, user):
    TrackFactory()
    res = api.get("/api/tracks/", {"prompt": "x" * 501})
    assert res.status_code == 400 and "prompt" in res.json()
    assert api.get("/api/tracks/", {"prompt": "x" * 500}).status_code == 200
    # a brief with nothing Segue knows still answers, and says which words it ignored
    res = tracks_for(api, "no vocals")
    assert res[0]["brief"]["ignored"] == ["vocals"] and res[0]["brief"]["score"] == 0


def test_the_cached_traits_follow_every_write(api, user):
    """The per-process snapshot of traits is rebuilt when tracks or tags change, whichever ORM path wrote them."""
    a = TrackFactory(title="Alpha", tempo=70.0, loudness=-20.0, mode="major", tagged=False)
    b = TrackFactory(title="Beta", tempo=150.0, loudness=-20.0, mode="major", tagged=False)
    assert [r["id"] for r in tracks_for(api, "slow")] == [a.pk, b.pk]
    Track.objects.filter(pk=a.pk).update(tempo=160.0)  # as the analysis task writes its results
    Track.objects.filter(pk=b.pk).update(tempo=64.0)
    assert [r["id"] for r in tracks_for(api, "slow")] == [b.pk, a.pk]
    a.title = "Sunset"
    a.save()
    assert tracks_for(api, "sunset")[0]["id"] == a.pk
    TrackTag.objects.bulk_create([TrackTag(track=b, tag="focus", probability=0.9, source="rule")])
    assert tracks_for(api, "for focus")[0]["id"] == b.pk
    TrackTag.objects.filter(track=b).update(probability=0.0)
    assert tracks_for(api, "for focus")[0]["id"] == a.pk
    c = TrackFactory(title="Gamma", tempo=60.0, tagged=False)  # a new track is in the next brief
    assert tracks_for(api, "60 bpm")[0]["id"] == c.pk


def test_the_catalog_version_token_changes_with_writes_and_not_with_state(user):
    track = TrackFactory(tagged=False)
    token = CatalogVersion.current()
    assert token is not None
    Track.objects.filter(pk=track.pk).update(state=TrackState.READY)  # no trait a brief reads
    assert CatalogVersion.current() == token
    Track.objects.filter(pk=track.pk).update(loudness=-12.0)
    assert CatalogVersion.current() not in (token, None)
    token = CatalogVersion.current()
    track.delete()
    assert CatalogVersion.current() != token


def test_a_brief_over_an_empty_list_answers_empty(api, user):
    assert tracks_for(api, "slow, sunset") == []
    TrackFactory(title="Sunset", tempo=150.0)
    assert tracks_for(api, "slow, sunset", tempo_max=100) == []  # every track filtered out
