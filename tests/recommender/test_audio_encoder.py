from pathlib import Path

import numpy as np
import pytest
import torch

from recommender.models import audio_encoder as enc
from recommender.synth.music import make_song
from recommender.training.audio_triplets import TrainConfig, excerpt_retrieval, train

CHECKPOINT = Path(__file__).resolve().parents[2] / "recommender" / "checkpoints" / "audio_encoder.pt"


@pytest.fixture(scope="module")
def songs():
    # Seeds far from the checkpoint's training songs (10,000–10,199).
    return [enc.log_mel(make_song(50_000 + i, max_seconds=60).audio) for i in range(10)]


def test_committed_checkpoint_gives_unit_vectors_deterministically(songs):
    model = enc.load(CHECKPOINT)
    vec, sections = enc.embed_track(model, songs[0], [(0.0, 5.0), (5.0, 12.0)])
    again, _ = enc.embed_track(model, songs[0], [(0.0, 5.0), (5.0, 12.0)])
    assert vec.shape == (128,) and sections.shape == (2, 128)
    assert np.allclose(np.linalg.norm(sections, axis=1), 1.0, atol=1e-5) and np.isclose(np.linalg.norm(vec), 1.0)
    assert np.array_equal(vec, again)
    assert CHECKPOINT.stat().st_size < 5 * 2**20


def test_other_excerpt_of_same_track_ranks_first(songs):
    """On a small generated catalog the other half of a track is its most similar item, most of the time."""
    scores = excerpt_retrieval(enc.load(CHECKPOINT), songs, length=256)
    assert scores["recall@1"] >= 0.7 and scores["recall@5"] >= 0.9, scores


@pytest.mark.slow
def test_a_few_training_steps_lower_the_loss_and_beat_random(songs):
    torch.manual_seed(0)
    untrained = enc.AudioEncoder().eval()
    model, losses = train(songs, TrainConfig(steps=60, batch_tracks=10, seed=1))
    assert np.mean(losses[-10:]) < np.mean(losses[:10])
    trained = excerpt_retrieval(model, songs)
    assert trained["recall@1"] > 2 * trained["random@1"], trained
    assert trained["recall@5"] >= excerpt_retrieval(untrained, songs)["recall@5"] - 0.1


def test_training_needs_two_tracks(songs):
    with pytest.raises(ValueError, match="at least two tracks"):
        train(songs[:1], TrainConfig(steps=1))
