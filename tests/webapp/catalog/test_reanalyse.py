"""Re-analysis in place: tracks analysed by an older ANALYSIS_VERSION are brought up to date while they stay READY
and searchable (``manage.py reanalyse_catalog``, ``POST /api/tracks/{id}/reanalyse/``)."""

import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command

from recommender.analysis import ANALYSIS_VERSION, analyze, spectra
from recommender.media import ANALYSIS_SR, load_audio
from tests.webapp.catalog.factories import TrackFactory
from webapp.catalog import tasks
from webapp.catalog.indexes import section_index, track_index
from webapp.catalog.models import Section, Track, TrackState
from webapp.core.models import Job

OLD_TEMPO = 60.0  # what an older analysis said of a 120-BPM click track: half its tempo


def stale_click_track(**kwargs) -> Track:
    """A READY track whose file is 12 s of clicks at 120 BPM, carrying an older analysis at half that tempo."""
    track = TrackFactory(audio=True, duration=12.0, tempo=120.0, analysis_version=0, **kwargs)
    Track.objects.filter(pk=track.pk).update(tempo=OLD_TEMPO, beats=track.beats[::2], downbeats=track.beats[::8])
    track.refresh_from_db()
    return track


def broken_tracks() -> list[Track]:
    """Stale READY tracks that cannot be analysed again: a file gone from the disk, and one that is not audio."""
    gone = TrackFactory(analysis_version=0)  # its file is a name only
    corrupt = TrackFactory(analysis_version=0, file=ContentFile(b"\x00garbage" * 200, name="corrupt.wav"))
    return [gone, corrupt]


def spy_on_embedding(monkeypatch, api, track: Track) -> list[dict]:
    """What the API shows of ``track`` while its new analysis is being embedded (before anything is stored)."""
    seen = []
    embed = tasks.embed_vectors

    def spy(*args, **kwargs):
        listed = {t["id"]: t for t in api.get("/api/tracks/").json()["results"]}
        seen.append({"state": Track.objects.get(pk=track.pk).state, "listed": listed.get(track.pk)})
        return embed(*args, **kwargs)

    monkeypatch.setattr(tasks, "embed_vectors", spy)
    return seen


def test_stale_tracks_are_reanalysed_in_place_and_a_rerun_does_nothing(api, pipeline, monkeypatch, capsys):
    stale = stale_click_track()
    old_sections = set(stale.sections.values_list("pk", flat=True))
    current = TrackFactory(analysis_version=ANALYSIS_VERSION)  # no file: it would fail if it were touched
    gone, corrupt = broken_tracks()
    seen = spy_on_embedding(monkeypatch, api, stale)

    call_command("reanalyse_catalog")
    assert "3 stale tracks to re-analyse" in capsys.readouterr().out
    job = Job.objects.get(kind="reanalyse_catalog")
    assert job.state == "done", job.error
    assert job.result["stale"] == 3 and job.result["reanalysed"] == 1
    reasons = {f["track"]: f["error"] for f in job.result["failed"]}
    assert set(reasons) == {gone.pk, corrupt.pk}
    assert "missing file" in reasons[gone.pk] and "not a readable audio" in reasons[corrupt.pk]
    assert job.message == "done" and job.progress == 100

    # During the job, after the analysis and before the embedding: still ready, listed, with its old analysis.
    assert len(seen) == 1
    assert seen[0]["state"] == TrackState.READY and seen[0]["listed"]["tempo"] == OLD_TEMPO

    # After: what the analysis of its file gives, with new sections, vectors and index entries.
    y = load_audio(stale.file.path, sr=ANALYSIS_SR)
    expected = analyze(y, ANALYSIS_SR, spec=spectra(y, ANALYSIS_SR))
    stale.refresh_from_db()
    assert stale.state == TrackState.READY and stale.analysis_version == ANALYSIS_VERSION
    assert stale.tempo == pytest.approx(expected.tempo) and abs(stale.tempo - 120.0) < 3.0
    assert stale.beats == pytest.approx(expected.beats) and stale.downbeats == pytest.approx(expected.downbeats)
    sections = list(stale.sections.all())
    assert [(s.start, s.end) for s in sections] == [(s.start, s.end) for s in expected.sections]
    assert not old_sections & {s.pk for s in sections}
    assert all(s.embedding is not None for s in sections) and stale.tags.count() > 0
    hit = track_index().search(stale.vector[None], 1)[0][0]
    assert hit.id == stale.pk and hit.score > 0.999
    assert len(section_index()) == Section.objects.filter(track__state=TrackState.READY).count()

    # The others kept their analysis and stay ready.
    for track, before in [(current, current), (gone, gone), (corrupt, corrupt)]:
        track.refresh_from_db()
        assert track.state == TrackState.READY and track.tempo == before.tempo
        assert track.analysed_at == before.analysed_at
    assert Track.objects.get(pk=gone.pk).analysis_version == 0

    # Re-running: the failed ones are still stale (and counted), the re-analysed one is not touched again.
    analysed_at = stale.analysed_at
    call_command("reanalyse_catalog")
    assert "2 stale tracks" in capsys.readouterr().out
    rerun = Job.objects.filter(kind="reanalyse_catalog").latest("created_at")
    assert rerun.result["stale"] == 2 and rerun.result["reanalysed"] == 0
    assert Track.objects.get(pk=stale.pk).analysed_at == analysed_at
    call_command("reanalyse_catalog", "--wait")  # follows the job to its end (here run at once)
    out, err = capsys.readouterr()
    assert "[100%] done" in out and "re-analysed 0 of 2" in out
    assert f"track {gone.pk}: " in err and "missing file" in err


def test_a_rerun_after_everything_is_current_finds_nothing(user, pipeline, capsys):
    from webapp.core.jobs import create_job

    TrackFactory.create_batch(2)  # analysed by today's code
    call_command("reanalyse_catalog")
    assert "0 stale tracks to re-analyse" in capsys.readouterr().out
    assert not Job.objects.exists()
    job = create_job(user, tasks.reanalyse_catalog)  # the job itself, run anyway: nothing to do
    job.refresh_from_db()
    assert job.state == "done" and job.result["stale"] == 0 and job.result["reanalysed"] == 0


@pytest.mark.django_db
def test_dry_run_counts_stale_ready_tracks_and_queues_nothing(capsys):
    TrackFactory.create_batch(3, analysis_version=0)
    TrackFactory(analysis_version=ANALYSIS_VERSION)
    TrackFactory(analysis_version=0, state=TrackState.FAILED)  # not ready: the pipeline's business
    call_command("reanalyse_catalog", "--dry-run")
    assert capsys.readouterr().out.startswith("3 stale tracks to re-analyse")
    call_command("reanalyse_catalog", "--dry-run", "--all")
    assert capsys.readouterr().out.startswith("4 ready tracks to re-analyse")
    assert not Job.objects.exists()


def test_reanalyse_endpoint_keeps_a_ready_track_visible(api, other_api, user, pipeline, monkeypatch):
    track = stale_click_track(owner=user)
    seen = spy_on_embedding(monkeypatch, api, track)
    assert other_api.post(f"/api/tracks/{track.pk}/reanalyse/").status_code in (403, 404)
    res = api.post(f"/api/tracks/{track.pk}/reanalyse/")
    assert res.status_code == 202
    job = Job.objects.get(pk=res.json()["job"])
    assert job.kind == "reanalyse_track" and job.state == "done", job.error
    assert seen[0]["state"] == TrackState.READY and seen[0]["listed"]["tempo"] == OLD_TEMPO
    track.refresh_from_db()
    assert track.state == TrackState.READY and track.analysis_version == ANALYSIS_VERSION
    assert abs(track.tempo - 120.0) < 3.0
    # Its old sections left the indexes, its new ones are in them (no rebuild: the track's own updates).
    assert len(section_index()) == track.sections.count()


def test_reanalyse_endpoint_on_a_missing_file_fails_the_job_not_the_track(api, user, pipeline):
    track = TrackFactory(owner=user, analysis_version=0)
    res = api.post(f"/api/tracks/{track.pk}/reanalyse/")
    assert res.status_code == 202
    job = Job.objects.get(pk=res.json()["job"])
    assert job.state == "failed" and "missing file" in job.error
    after = Track.objects.get(pk=track.pk)
    assert after.state == TrackState.READY and after.tempo == track.tempo and after.error == ""
    assert [h.id for h in track_index().search(np.asarray(track.vector)[None], 1)[0]] == [track.pk]


@pytest.mark.django_db
def test_reanalyse_endpoint_on_a_failed_track_queues_the_pipeline(api, user):
    track = TrackFactory(owner=user, state=TrackState.FAILED, error="the audio is silent")
    res = api.post(f"/api/tracks/{track.pk}/reanalyse/")
    assert res.status_code == 202
    assert Job.objects.get(pk=res.json()["job"]).kind == "analyze_track"
    assert Track.objects.get(pk=track.pk).state == TrackState.QUEUED


@pytest.mark.django_db
def test_the_catalog_job_belongs_to_the_first_admin_who_follows_it_in_the_api(capsys):
    from rest_framework.test import APIClient

    from tests.webapp.core.factories import UserFactory
    from webapp.core.jobs import SYSTEM_USERNAME, system_user

    nobody = system_user()  # no admin yet: a user that cannot log in
    assert nobody.username == SYSTEM_USERNAME and not nobody.is_active and not nobody.has_usable_password()
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    TrackFactory(analysis_version=0)
    call_command("reanalyse_catalog")
    job = Job.objects.get(kind="reanalyse_catalog")
    assert job.owner == admin
    client, other = APIClient(), APIClient()
    client.force_authenticate(admin)
    other.force_authenticate(UserFactory())
    assert [j["id"] for j in client.get("/api/jobs/").json()["results"]] == [job.pk]
    assert other.get("/api/jobs/").json()["results"] == []
