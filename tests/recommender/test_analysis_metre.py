"""Tempo octave, downbeat phase and beat timing of the music analysis (issue 13, part 3)."""

import numpy as np

from recommender.analysis import analyze, beat_change, global_tempo
from tests.media import SR

FRAME_RATE = SR / 512


def tresillo_envelope(bpm: float = 125.0, seconds: float = 60.0) -> np.ndarray:
    """Onset envelope of a dance groove: a loud 3+3+2-sixteenth bass figure, kick on the beat, hi-hat on eighths."""
    env = np.zeros(int(seconds * FRAME_RATE))
    sixteenth = 60.0 / bpm / 4
    for bar in np.arange(0.0, seconds, 16 * sixteenth):
        for steps, strength in (((0, 3, 6, 8, 11, 14), 1.0), (range(0, 16, 4), 0.8), (range(0, 16, 2), 0.3)):
            for step in steps:
                env[int(round((bar + step * sixteenth) * FRAME_RATE)) % env.size] += strength
    return env


def test_a_tresillo_groove_gets_its_beat_not_two_thirds_of_it():
    env = tresillo_envelope(bpm=125.0)
    assert abs(global_tempo(env, FRAME_RATE) / 125.0 - 1) <= 0.03  # lags are whole frames: 123 BPM
    # The single highest autocorrelation peak (the former estimate) is the 1.5-beat figure: 86 BPM.
    assert abs(global_tempo(env, FRAME_RATE, multiples=(1.0,), subdivision=0.0) / (125.0 * 2 / 3) - 1) <= 0.05


def test_beat_change_is_credited_to_the_beat_where_it_happens():
    beat_frames = np.arange(10, 200, 20)
    features = np.zeros((12, 220))
    features[0] = 1.0
    features[:, beat_frames[5] :] = 0.0
    features[7, beat_frames[5] :] = 1.0  # the harmony changes on beat 5
    assert int(np.argmax(beat_change(features, beat_frames))) == 5


def accented_bars(bpm: float = 100.0, seconds: float = 24.0, first_downbeat: int = 1) -> np.ndarray:
    """Clicks on every beat; a low thump with a bass note change on the first beat of each 4-beat bar."""
    y = np.zeros(int(seconds * SR), dtype=np.float32)
    t = np.arange(int(0.25 * SR)) / SR
    click = np.sin(2 * np.pi * 2000 * t[:660]) * np.exp(-t[:660] / 0.004)
    for i, beat in enumerate(np.arange(0.0, seconds - 0.3, 60.0 / bpm)):
        j = int(beat * SR)
        y[j : j + click.size] += 0.3 * click
        if i % 4 == first_downbeat:
            bass = [55.0, 73.4, 49.0, 65.4][(i // 4) % 4]  # a new bass note every bar
            y[j : j + t.size] += np.sin(2 * np.pi * bass * t) * np.exp(-t / 0.1)
    return y


def test_downbeats_are_the_accented_beats_and_lie_on_beats():
    a = analyze(accented_bars(first_downbeat=1), SR)
    truth = np.arange(0.6, 24.0, 2.4)  # 100 BPM, bars start on the second click
    assert len(a.downbeats) >= 8
    assert max(np.min(np.abs(truth - d)) for d in a.downbeats) <= 0.03
    assert set(a.downbeats) <= set(a.beats)
