"""Tempo octave, downbeat phase and beat timing of the music analysis (issue 13, part 3)."""

import numpy as np
import pytest

from recommender.analysis import analyze, beat_change, global_tempo, span_contrast
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


def test_span_contrast_peaks_where_a_two_beat_harmony_turns_over():
    beat_frames = np.arange(10, 300, 20)
    features = np.tile(np.eye(12)[:, [0]], (1, 320))
    features[:, beat_frames[6] :] = np.eye(12)[:, [4]]  # a new chord from beat 6 on
    contrast = span_contrast(features, beat_frames, beats=2)
    assert int(np.argmax(contrast)) == 6 and contrast[0] == 0.0  # the same chord either side
    assert abs(contrast[6] - np.sqrt(2)) < 1e-6 and np.all(contrast[8:] < 1e-6)


def accented_bars(bpm: float = 100.0, seconds: float = 24.0, first_downbeat: int = 1) -> np.ndarray:
    """Clicks on every beat; from the first beat of each 4-beat bar a new chord held for the bar, its bass struck."""
    y = np.zeros(int(seconds * SR), dtype=np.float32)
    period = 60.0 / bpm
    t = np.arange(int(4 * period * SR)) / SR
    click = np.sin(2 * np.pi * 2000 * t[:660]) * np.exp(-t[:660] / 0.004)
    chords = ([110.0, 277.2, 329.6], [146.8, 370.0, 440.0], [98.0, 246.9, 293.7], [130.8, 329.6, 392.0])  # A D G C
    for i, beat in enumerate(np.arange(0.0, seconds - 0.3, period)):
        j = int(beat * SR)
        y[j : j + click.size] += 0.3 * click[: y.size - j]
        if i % 4 == first_downbeat:
            chord = chords[(i // 4) % 4]
            tone = sum(np.sin(2 * np.pi * f * t) for f in chord) * np.exp(-t / 2.0) / 3
            tone += np.sin(2 * np.pi * chord[0] / 2 * t) * np.exp(-t / 0.15)  # the bass note struck
            n = min(t.size, y.size - j)
            y[j : j + n] += (0.5 * tone[:n]).astype(np.float32)
    return y


@pytest.mark.parametrize("first_downbeat", [0, 1, 2, 3])
def test_downbeats_are_the_beats_where_the_chord_changes(first_downbeat):
    a = analyze(accented_bars(first_downbeat=first_downbeat), SR)
    truth = np.arange(0.6 * first_downbeat, 24.0, 2.4)  # 100 BPM, 4 beats to the bar
    assert len(a.downbeats) >= 8
    assert max(np.min(np.abs(truth - d)) for d in a.downbeats) <= 0.07  # a wrong phase is 0.6 s off
    assert set(a.downbeats) <= set(a.beats)
