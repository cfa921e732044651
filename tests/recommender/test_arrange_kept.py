"""Join features kept with a track (float16 bytes, computed once by the analysis) plan like freshly computed ones."""

import numpy as np
import pytest

from recommender.arrange import plan_edit
from recommender.arrange_features import downbeat_features, from_bytes, join_costs, to_bytes
from recommender.spectral import HOP, N_FFT, power_spectrogram
from recommender.synth.music import make_song


@pytest.fixture(scope="module")
def song():
    s = make_song(11, max_seconds=90)  # 75.4 BPM, 76.4 s, six sections of 4 bars
    duration = len(s.audio) / s.sr
    downbeats = np.arange(0.0, duration - 1e-6, 240 / s.tempo)
    return s, downbeats, duration, downbeat_features(s.audio, s.sr, downbeats)


def test_the_analysis_spectrogram_gives_the_same_features(song):
    s, downbeats, duration, feats = song
    power = power_spectrogram(s.audio, n_fft=N_FFT, hop_length=HOP)
    again = downbeat_features(None, s.sr, downbeats, power=power, duration=duration)
    assert np.allclose(join_costs(again), join_costs(feats), atol=1e-9)
    with pytest.raises(ValueError, match="duration"):
        downbeat_features(None, s.sr, downbeats, power=power)


def test_kept_features_are_small_and_plan_the_same_edits(song):
    s, downbeats, duration, feats = song
    raw = to_bytes(feats)
    assert len(raw) == len(downbeats) * 52 * 2  # float16, 104 bytes a bar
    kept = from_bytes(raw, downbeats, duration)
    fresh, stored = join_costs(feats), join_costs(kept)
    finite = np.isfinite(fresh)
    assert np.array_equal(finite, np.isfinite(stored))
    assert np.max(np.abs(fresh[finite] - stored[finite])) < 0.02 * np.median(fresh[finite])
    for target in (30.0, 47.3, 120.0):
        a = plan_edit(feats, target, section_starts=s.boundaries)
        b = plan_edit(kept, target, section_starts=s.boundaries)
        assert [(p.src_start, p.src_end) for p in a.pieces] == [(p.src_start, p.src_end) for p in b.pieces]


def test_features_kept_for_another_grid_are_not_used(song):
    _, downbeats, duration, feats = song
    raw = to_bytes(feats)
    assert from_bytes(raw, downbeats[:-1], duration) is None  # analysed again: other downbeats
    assert from_bytes(None, downbeats, duration) is None and from_bytes(b"", downbeats, duration) is None
    nan = np.frombuffer(raw, dtype=np.float16).copy()
    nan[3] = np.nan
    assert from_bytes(nan.tobytes(), downbeats, duration) is None
