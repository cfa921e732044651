"""Cross-modal model: video features, training on a tiny generated corpus, the committed checkpoint, bad input."""

from pathlib import Path

import numpy as np
import pytest
import torch

from recommender.media import MediaError
from recommender.models import crossmodal as cm
from recommender.synth.music_video import make_clip
from recommender.training.crossmodal import CrossTrainConfig, clip_embeddings, load_clip, retrieval_scores, train
from recommender.video import N_FEATURES, decode_frames, frame_features
from tests.media import click_track, write_av, write_video_only

CHECKPOINT = Path(__file__).resolve().parents[2] / "recommender" / "checkpoints" / "crossmodal.pt"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mv")
    return [load_clip(make_clip(seed, folder, seconds=8.0, fps=8.0)) for seed in range(900, 912)]


def test_frames_are_sampled_and_described(tmp_path):
    path = make_clip(5, tmp_path, seconds=6.0, fps=12.0)
    frames = decode_frames(path, fps=4.0)
    assert frames.has_audio and abs(frames.duration - 6.0) < 0.3
    assert 22 <= len(frames.images) <= 25 and frames.images.shape[2] == 96
    feats = frame_features(frames.images)
    assert feats.shape == (len(frames.images), N_FEATURES) and np.isfinite(feats).all()
    hue = feats[:, :8]
    assert np.allclose(hue.sum(axis=1), 1.0, atol=1e-4)


def test_video_without_audio_or_frames_is_rejected(tmp_path):
    with pytest.raises(MediaError, match="no audio track, so it cannot be used for training"):
        load_clip(write_video_only(tmp_path / "mute.mp4"))
    with pytest.raises(MediaError, match="has no video stream"):
        load_clip(write_av(tmp_path / "sound-only.mp4", click_track(seconds=2), codec="aac"))


@pytest.mark.slow
def test_few_training_steps_lower_loss_and_beat_random(corpus, seed):
    model, losses = train(corpus, CrossTrainConfig(steps=50, batch=12, min_window=3, max_window=6, seed=seed))
    assert np.mean(losses[-10:]) < np.mean(losses[:10]) - 0.02
    scores = retrieval_scores(*clip_embeddings(model, corpus))
    assert scores["recall@1"] >= 3 / len(corpus), scores  # random: 1/12
    assert scores["median_rank"] <= 3, scores


def test_committed_checkpoint_embeds_unit_vectors_deterministically(corpus):
    model = cm.load(CHECKPOINT)
    clip, spans = cm.embed_video_spans(model, corpus[0].feats, [(0.0, 2.0), (2.0, 6.0)])
    again, _ = cm.embed_video_spans(model, corpus[0].feats, [(0.0, 2.0), (2.0, 6.0)])
    assert clip.shape == (128,) and spans.shape == (2, 128) and np.array_equal(clip, again)
    assert np.allclose(np.linalg.norm(spans, axis=1), 1.0, atol=1e-5)
    video, audio = clip_embeddings(model, corpus)
    assert np.allclose(np.linalg.norm(audio, axis=1), 1.0, atol=1e-5)
    assert CHECKPOINT.stat().st_size < 5 * 2**20


def test_training_can_continue_from_a_checkpoint(corpus):
    start = cm.load(CHECKPOINT)
    model, losses = train(
        corpus, CrossTrainConfig(steps=3, batch=6, min_window=3, max_window=6, seed=0), init=CHECKPOINT
    )
    assert len(losses) == 3
    # The checkpoint's normalisation is kept (a fresh model measures it on the clips instead) ...
    assert torch.equal(model.video.feat_mean, start.video.feat_mean)
    assert torch.equal(model.audio.mel_mean, start.audio.mel_mean)
    # ... and training moved the weights from the checkpoint's, not from a random start.
    before = dict(start.state_dict())
    moved = [k for k, v in model.state_dict().items() if v.dtype.is_floating_point and not torch.equal(v, before[k])]
    assert moved
    after = model.state_dict()
    change = sum(float((after[k] - before[k]).abs().sum()) for k in moved)
    size = sum(float(before[k].abs().sum()) for k in moved)
    assert 0 < change / size < 0.05  # a few steps refine it; they do not start over


def test_augmented_windows_keep_picture_and_sound_in_time_and_change_only_the_colours():
    from recommender.training.crossmodal import MEL_FPS, SPEEDS, Clip, recolour, windows
    from recommender.video import FEATURE_NAMES, HUE_BINS, SAMPLE_FPS

    # Both modalities carry the source's own clock: picture features hold seconds in "edges", the log-mel in band 0.
    edges = FEATURE_NAMES.index("edges")
    feats = np.random.default_rng(0).uniform(0.1, 0.9, (240, N_FEATURES)).astype(np.float32)
    feats[:, :HUE_BINS] /= feats[:, :HUE_BINS].sum(1, keepdims=True)
    feats[:, edges] = np.arange(240) / SAMPLE_FPS
    mel = np.zeros((64, int(60 * MEL_FPS)), dtype=np.float32)
    mel[0] = np.arange(mel.shape[1]) / MEL_FPS
    clips = [Clip("a", feats, mel), Clip("b", feats, mel)]
    rng = np.random.default_rng(1)
    speeds = []
    for _ in range(20):
        v, a = windows(clips, np.array([0, 1]), 6.0, rng, augment=True)
        for k in range(2):
            seen = v[k, edges].numpy()
            heard = a[k, 0].numpy()
            j = np.arange(0, v.shape[2], 4)
            # the same moment of the source in both, at every time of the window
            assert np.allclose(seen[j], heard[np.round(j / SAMPLE_FPS * MEL_FPS).astype(int)], atol=0.05)
            speeds.append((seen[-1] - seen[0]) / ((len(seen) - 1) / SAMPLE_FPS))
    assert SPEEDS[0] - 1e-3 <= min(speeds) < 0.95 and 1.05 < max(speeds) <= SPEEDS[1] + 1e-3

    plain, _ = windows(clips, np.array([0, 1]), 6.0, np.random.default_rng(1))
    start = int(round(float(plain[0, edges, 0]) * SAMPLE_FPS))
    assert np.array_equal(plain[0].numpy().T, feats[start : start + 24])  # no augmentation: the stored frames

    graded = recolour(feats, np.random.default_rng(3))
    assert np.allclose(graded[:, :HUE_BINS].sum(1), 1.0, atol=1e-5)
    hue = FEATURE_NAMES.index("hue_cos"), FEATURE_NAMES.index("hue_sin")
    assert np.allclose(np.hypot(*graded[:, hue].T), np.hypot(*feats[:, hue].T), atol=1e-5)  # turned, not scaled
    assert np.array_equal(graded[:, edges], feats[:, edges]) and not np.allclose(graded, feats)
