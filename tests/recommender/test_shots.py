import numpy as np

from recommender.shots import detect_shots
from recommender.video import SAMPLE_FPS, decode_frames
from tests.media import shot_frames, write_shot_video


def test_hard_cuts_every_two_seconds_are_found_within_one_sampled_frame(tmp_path):
    path = write_shot_video(tmp_path / "cuts.mp4", seconds=12.0, cut_every=2.0, seed=3)
    frames = decode_frames(path)
    shots = detect_shots(frames.images, frames.times, duration=frames.duration)
    truth = np.arange(2.0, 12.0, 2.0)
    assert len(shots.boundaries) == len(truth), shots.boundaries
    assert np.abs(shots.boundaries - truth).max() <= 1.0 / SAMPLE_FPS + 1e-6, shots.boundaries
    assert shots.spans[0][0] == 0.0 and abs(shots.spans[-1][1] - frames.duration) < 1e-6
    assert len(shots.spans) == len(truth) + 1


def test_a_panning_shot_without_cuts_stays_one_shot():
    frames = shot_frames(seconds=6.0, cut_every=100.0, fps=4.0, seed=1)
    shots = detect_shots(frames, np.arange(len(frames)) / 4.0, duration=6.0)
    assert len(shots.boundaries) == 0 and shots.spans == [(0.0, 6.0)]
