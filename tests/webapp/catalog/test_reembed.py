"""A model refined with `train_crossmodal --init` is used: the catalog is re-embedded by a job, indexes included."""

import shutil
from pathlib import Path

import numpy as np
from django.core.management import call_command

from recommender.synth.music_video import make_clip
from tests.webapp.catalog.test_api import song_upload, upload
from webapp.catalog.models import Track, TrackState
from webapp.core.models import Job

CHECKPOINT = Path(__file__).resolve().parents[3] / "recommender" / "checkpoints" / "crossmodal.pt"


def test_training_on_from_the_current_model_reembeds_the_catalog(api, user, settings, tmp_path, pipeline):
    from webapp.catalog.indexes import xm_track_index

    settings.CROSSMODAL_MODEL_PATH = tmp_path / "xm.pt"
    shutil.copy(CHECKPOINT, settings.CROSSMODAL_MODEL_PATH)
    track = Track.objects.get(pk=upload(api, song_upload(12, seconds=12)).json()["id"])
    assert track.state == TrackState.READY
    before = np.frombuffer(bytes(track.xm_embedding), dtype=np.float32).copy()
    videos = tmp_path / "videos"
    videos.mkdir()
    for seed in range(4):
        make_clip(900 + seed, videos, seconds=6.0, fps=8.0)
    call_command("train_crossmodal", "--videos", str(videos), "--init", "--steps", "3")
    job = Job.objects.get(kind="reembed_catalog")
    assert job.state == "done" and job.result["tracks"] == 1, job.error
    track.refresh_from_db()
    after = np.frombuffer(bytes(track.xm_embedding), dtype=np.float32)
    assert not np.allclose(after, before)  # the new model's vector ...
    assert np.isclose(np.linalg.norm(after), 1.0, atol=1e-4)
    hit = xm_track_index().search(after[None], 1)[0][0]
    assert hit.id == track.pk and hit.score > 0.999  # ... is the one the index serves
