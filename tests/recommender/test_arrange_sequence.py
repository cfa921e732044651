"""The fitted edit as the aligner sees it: the track's analysis laid along a plan's pieces."""

import numpy as np
import pytest

from recommender.alignment import music_sequence
from recommender.arrange import Piece, Plan
from recommender.arrange_sequence import edit_curve, edit_spans, edit_times, fitted_sequence, source_times
from recommender.fine_sync import FINE_HOP

BAR = 2.0
DURATION = 32.0  # 16 bars of 2 s; sections A (0-8 s, quiet), B (8-16 s, loud), A (16-24 s), C (24-32 s)
DOWNBEATS = np.arange(0.0, DURATION, BAR)
SECTIONS = [8.0, 16.0, 24.0]
SPANS = [(0.0, 8.0), (8.0, 16.0), (16.0, 24.0), (24.0, 32.0)]
VECTORS = np.eye(4, dtype=np.float32)
ENERGY = np.where((np.arange(64) * 0.5 >= 8) & (np.arange(64) * 0.5 < 16), -10.0, -30.0)  # dB per 0.5 s
ONSETS = np.zeros(int(DURATION / 0.02))
ONSETS[(DOWNBEATS / 0.02).astype(int)] = 1.0  # an attack on every downbeat, envelope every 20 ms
# The level (dB every 20 ms, as the onsets): quiet, with a 0.1-s hit on every beat of section B and one at 29 s.
HITS = [*np.arange(8.0, 16.0, 0.5), 29.0]
LEVEL = np.full(len(ONSETS), -40.0)
for hit in HITS:
    LEVEL[round(hit / 0.02) : round((hit + 0.1) / 0.02)] = -20.0


def track(**kw):
    beats = np.arange(0.0, DURATION, 0.5)
    inputs = {"spans": SPANS, "vectors": VECTORS, "downbeats": DOWNBEATS, "section_starts": SECTIONS}
    return (
        inputs
        | {"energy": ENERGY, "energy_hop": 0.5, "beats": beats, "onset_envelope": ONSETS, "onset_hop": 0.02}
        | {"loudness": LEVEL}
        | kw
    )


# 13 s: the first bar, then straight into section B (a join at 2 s: 2 → 8), B's 4 bars, then the ending's last 3 s
EDIT = Plan(13.0, [Piece(1.0, 2.0, 0.0), Piece(8.0, 16.0, 1.0), Piece(28.0, 32.0, 9.0)], [])


def test_the_whole_track_unedited_is_the_track_itself():
    whole = Plan(DURATION, [Piece(0.0, DURATION, 0.0)], [])
    a = fitted_sequence(whole, **track())
    inputs = track()
    b = music_sequence(DURATION, inputs.pop("spans"), inputs.pop("vectors"), **inputs)
    for name in ("segment", "events", "energy", "onset", "metre", "loudness"):
        assert np.allclose(getattr(a, name), getattr(b, name)), name
    assert np.array_equal(a.vectors, b.vectors) and a.duration == b.duration


def test_times_spans_and_curves_follow_the_pieces():
    assert edit_times(EDIT, DOWNBEATS).tolist() == [1.0, 3.0, 5.0, 7.0, 9.0, 11.0]  # 28 s → 9 s, 30 s → 11 s
    assert edit_times(EDIT, SECTIONS).tolist() == [1.0]  # B now starts at 1 s; A and C are skipped
    assert source_times(EDIT, [0.5, 1.0, 8.99, 9.0, 12.9]).tolist() == pytest.approx([1.5, 8.0, 15.99, 28.0, 31.9])
    spans, idx = edit_spans(EDIT, SPANS)
    assert spans == [(0.0, 1.0), (1.0, 9.0), (9.0, 13.0)] and idx.tolist() == [0, 1, 3]
    energy = edit_curve(EDIT, ENERGY, 0.5)
    assert len(energy) == 26 and set(energy[2:18]) == {-10.0} and set(energy[:2]) | set(energy[18:]) == {-30.0}
    onsets = edit_curve(EDIT, ONSETS, 0.02, centred=False)
    assert np.flatnonzero(onsets).tolist() == [50, 150, 250, 350, 450, 550]  # the downbeats' attacks, moved


def test_the_fitted_sequence_lasts_the_target_with_the_edit_structure():
    seq = fitted_sequence(EDIT, **track())
    assert seq.duration == 13.0 and len(seq.segment) == 52 and len(seq.onset) == round(13.0 / FINE_HOP)
    assert seq.segment[4:36].tolist() == [1] * 32 and np.array_equal(seq.vectors[1], VECTORS[1])
    assert seq.events[4] == 1.0  # the section start brought to 1 s
    at = np.round(np.array([1.0, 3.0]) / FINE_HOP).astype(int)
    assert seq.metre[at[0]] == 1.0 and seq.metre[at[1]] == pytest.approx(0.7)
    assert seq.onset[at].min() == 1.0


def test_the_fitted_edit_carries_the_level_so_light_can_follow_it():
    seq = fitted_sequence(EDIT, **track())
    assert len(seq.loudness) == round(13.0 / FINE_HOP)
    loud = seq.loudness > 5.0  # high-passed dB: the hits stand out of the quiet
    starts = np.flatnonzero(loud & ~np.r_[False, loud[:-1]]) * FINE_HOP
    # B's beats brought to 1–9 s, the hit at 29 s to 10 s; the quiet first bar and nothing else
    assert starts == pytest.approx([*np.arange(1.0, 9.0, 0.5), 10.0], abs=FINE_HOP)
    assert fitted_sequence(EDIT, **track(loudness=None)).loudness is None  # analysed before the level was kept
