"""Pace: a video's visual events on a track's beat grid, at any offset, rank that tempo first."""

import numpy as np

from recommender import pace


def cuts_on_beats(bpm: float, *, seconds: float = 30.0, seed: int = 0, jitter: float = 0.01) -> np.ndarray:
    """Cuts on a random choice of beats (and off-beats) of a ``bpm`` grid that starts anywhere, a little jittered."""
    rng = np.random.default_rng(seed)
    half = 30.0 / bpm
    grid = rng.uniform(0, half) + np.arange(0, seconds, half)
    chosen = np.sort(rng.choice(grid, size=max(4, int(seconds / 2.5)), replace=False))
    return chosen + rng.normal(0, jitter, len(chosen))


def test_cuts_on_a_beat_grid_fit_its_tempo_and_not_others():
    tempos = np.array([72.0, 91.0, 100.0, 117.0, 128.0, 143.0, 166.0])
    for seed, true in enumerate(tempos):
        fit = pace.pace_fit(pace.event_intervals(cuts_on_beats(true, seed=seed)), tempos)
        assert tempos[int(np.argmax(fit))] == true, (true, fit.round(3))


def test_a_double_tempo_does_not_win_by_its_finer_comb():
    fit = pace.pace_fit(pace.event_intervals(cuts_on_beats(80.0, seed=3)), [80.0, 160.0, 320.0])
    assert fit[0] > fit[2] and fit[0] >= fit[1] - 0.05, fit


def test_random_cuts_and_few_events_carry_no_evidence():
    rng = np.random.default_rng(1)
    random_cuts = np.sort(rng.uniform(0, 30, 14))
    fit = pace.pace_fit(pace.event_intervals(random_cuts), np.linspace(70, 170, 40))
    assert np.abs(fit).max() < 0.2 and abs(fit.mean()) < 0.05, fit.round(3)
    assert len(pace.event_intervals([1.0, 2.0])) == 0
    assert (pace.pace_fit([], [120.0]) == 0).all() and pace.pace_fit([0.5], [np.nan, 0.0]).tolist() == [0.0, 0.0]


def test_blend_counts_pace_beside_content():
    content = np.array([0.9, 0.1, 0.2])
    fit = np.array([0.0, 0.5, 0.0])
    assert np.argmax(pace.blend(content, fit, weight=0.0)) == 0
    assert np.argmax(pace.blend(content, fit, weight=2.0)) == 1
