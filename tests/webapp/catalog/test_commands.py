import numpy as np
import pytest
import soundfile as sf
from django.core.management import call_command

from recommender.synth.music import make_song
from tests.webapp.catalog.factories import TrackFactory
from webapp.catalog.indexes import section_index, track_index
from webapp.catalog.models import TagLabel, TagSource, Track, TrackState, TrackTag


def test_import_music_is_recursive_skips_duplicates_and_survives_bad_files(tmp_path, pipeline, capsys):
    music = tmp_path / "music"
    (music / "album").mkdir(parents=True)
    for i in range(2):
        sf.write(music / "album" / f"Artist - Tune {i}.flac", make_song(20 + i, max_seconds=20).audio, 22050)
    (music / "broken.mp3").write_bytes(b"\x00garbage" * 100)
    (music / "cover.jpg").write_bytes(b"not music")
    call_command("import_music", str(music))
    out = capsys.readouterr()
    assert "imported 2, already there 0, failed 1" in out.out and "broken.mp3" in out.err
    assert Track.objects.filter(shared=True, state=TrackState.READY).count() == 2
    broken = Track.objects.get(original_name="broken.mp3")
    assert broken.state == TrackState.FAILED and "not a readable audio or video file" in broken.error
    call_command("import_music", str(music))  # resumable: nothing new the second time
    assert "imported 0, already there 3, failed 0" in capsys.readouterr().out  # the failure is on record
    assert Track.objects.count() == 3 and len(track_index()) == 2


def test_seed_demo_is_deterministic_and_idempotent(pipeline, capsys):
    call_command("seed_demo", "--count", "2")
    tracks = list(Track.objects.order_by("original_name"))
    assert [t.original_name for t in tracks] == ["segue-demo-000.ogg", "segue-demo-001.ogg"]
    assert all(t.shared and t.state == TrackState.READY for t in tracks)
    assert tracks[0].title == make_song(0).title
    call_command("seed_demo", "--count", "2")
    assert Track.objects.count() == 2


@pytest.mark.django_db
def test_rebuild_index_matches_database(capsys):
    TrackFactory.create_batch(2)  # ready and indexed, as seed_demo's tracks are
    track_index().remove(np.array([Track.objects.first().pk]))
    assert len(track_index()) == 1
    call_command("rebuild_index")
    assert len(track_index()) == 2
    assert len(section_index()) == sum(t.sections.count() for t in Track.objects.all())


@pytest.mark.slow
def test_tagger_retrains_from_labels(pipeline, settings, other_user, user):
    settings.TAGGER_MIN_LABELS = 2
    call_command("seed_demo", "--count", "4")
    tracks = list(Track.objects.order_by("pk"))
    for t, positive in zip(tracks, [True, True, False, False], strict=True):
        TagLabel.objects.create(user=user, track=t, tag="focus", positive=positive)
    from webapp.catalog.tasks import retag_catalog
    from webapp.core.jobs import create_job

    job = create_job(user, retag_catalog)
    job.refresh_from_db()
    assert job.state == "done" and job.result["learned_tags"] == ["focus"]
    focus = TrackTag.objects.filter(tag="focus")
    assert {t.source for t in focus} == {TagSource.MODEL}
    assert {t.source for t in TrackTag.objects.filter(tag="sleep")} == {TagSource.RULE}
    probs = {t.track_id: t.probability for t in focus}
    assert min(probs[t.pk] for t in tracks[:2]) > max(probs[t.pk] for t in tracks[2:])
