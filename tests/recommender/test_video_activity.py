"""The picture's activity follows light and movement inside shots, not the photographs a cut brings."""

import numpy as np

from recommender.rhythm import FrameSignals
from recommender.video_analysis import activity_curve, activity_times


def _signals(seconds: float = 24.0, fps: float = 25.0):
    t = np.arange(int(seconds * fps)) / fps
    cuts = np.array([5.0, 11.0, 17.0])
    base = np.array([0.15, 0.8, 0.3, 0.65])[np.searchsorted(cuts, t, side="right")]  # one photograph per shot
    loud = np.sin(2 * np.pi * t / 3.7)  # the music's loudness, which the grading follows
    motion = np.full(len(t), 0.01)
    motion[np.searchsorted(t, cuts)] = 0.5  # the frame difference of the edit itself
    signals = FrameSignals(times=t, brightness=base * (1 + 0.08 * loud), motion=motion, change=np.zeros(len(t)))
    return signals, cuts, loud


def test_brightness_following_loudness_is_found_across_cuts_between_photographs() -> None:
    signals, cuts, loud = _signals()
    curve = activity_curve(signals, cuts)
    assert curve.shape == loud.shape
    assert np.corrcoef(curve, loud)[0, 1] > 0.9
    # Without the cuts, the photographs' own brightness and the edits' motion swamp the grading.
    assert np.corrcoef(activity_curve(signals, []), loud)[0, 1] < 0.5


def test_the_curve_is_read_at_the_requested_times_and_z_scored() -> None:
    signals, cuts, loud = _signals()
    times = np.arange(0.0, 24.0, 0.25)
    curve = activity_curve(signals, cuts, times=times)
    assert curve.shape == times.shape
    assert abs(curve.mean()) < 1e-9 and abs(curve.std() - 1.0) < 1e-9
    assert np.corrcoef(curve, np.sin(2 * np.pi * times / 3.7))[0, 1] > 0.9


def test_activity_times_are_an_exact_grid_whatever_the_frame_rate() -> None:
    # A 25-fps video's frames sampled at 4 fps lie at 0, 0.28, 0.52, 0.76, 1.0 s: their median step (0.24 s)
    # would put the curve's 30th second at 28.8 s if it were stored as the hop.
    times = activity_times(30.1)
    assert len(times) == 121 and times[-1] == 30.0
    assert np.all(np.diff(times) == 0.25)
