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


def test_octave_readings_of_one_tempo_fit_alike_and_a_finer_comb_never_wins():
    intervals = pace.event_intervals(cuts_on_beats(80.0, seed=3))
    fit = pace.pace_fit(intervals, [40.0, 80.0, 160.0, 320.0, 97.0])
    assert np.allclose(fit[:4], fit[0]) and fit[0] > fit[4] + 0.3, fit  # an analysis an octave off costs nothing
    raw = pace.pace_fit(intervals, [80.0, 160.0, 320.0], fold=False)  # unfolded: the excess over chance
    assert raw[0] > raw[2] and raw[0] >= raw[1] - 0.05, raw


def test_fold_tempo_keeps_one_octave():
    folded = pace.fold_tempo([30.0, 59.9, 60.0, 119.9, 120.0, 160.0, 0.0, np.nan])
    assert np.allclose(folded[:6], [60.0, 119.8, 60.0, 119.9, 60.0, 80.0]), folded
    assert folded[6] == 0.0 and np.isnan(folded[7])


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
