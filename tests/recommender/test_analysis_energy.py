"""The loudness curve's time axis: value k covers exactly [k, k + 1) · energy_hop seconds, however long the track."""

import numpy as np
import pytest

from recommender.analysis import _energy, spectra

SR = 22050


@pytest.mark.parametrize("start", [3.0, 80.0])
def test_a_burst_far_into_a_track_lands_in_its_own_block(start: float) -> None:
    y = np.zeros(int(100 * SR), dtype=np.float32)
    t = np.arange(int(0.5 * SR)) / SR
    y[int(start * SR) : int(start * SR) + len(t)] = 0.5 * np.sin(2 * np.pi * 440 * t)
    energy, _ = _energy(spectra(y, SR), 0.5)
    loud = np.flatnonzero(np.asarray(energy) > max(energy) - 6.0)
    assert len(energy) == 200
    assert loud.tolist() == [int(start / 0.5)]
