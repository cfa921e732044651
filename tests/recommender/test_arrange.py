"""Edit to length on a generated song whose bars and sections are known exactly."""

import numpy as np
import pytest

from recommender.arrange import ArrangeError, default_anchor, naive_edit, plan_edit, render
from recommender.arrange_features import downbeat_features
from recommender.arrange_markers import plan_markers, video_peak
from recommender.synth.music import make_song

FRAME = 1 / 25


@pytest.fixture(scope="module")
def song():
    s = make_song(11, max_seconds=90)  # 75.4 BPM, 76.4 s, six sections of 4 bars
    bar = 240 / s.tempo
    duration = len(s.audio) / s.sr
    downbeats = np.arange(0.0, duration - 1e-6, bar)
    return s, bar, duration, downbeat_features(s.audio, s.sr, downbeats)


def _on_true_downbeat(t: float, bar: float) -> bool:
    return abs(t / bar - round(t / bar)) * bar < 1e-3


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return len(a) == len(b) and np.allclose(a, b, atol=1e-6)


@pytest.mark.parametrize("target", [30.0, 47.3, 120.0])
def test_fitted_song_has_the_length_joins_on_downbeats_and_its_own_ending(song, target):
    s, bar, duration, feats = song
    plan = plan_edit(feats, target, section_starts=s.boundaries)
    out = render(s.audio, s.sr, plan)
    assert abs(len(out) / s.sr - target) <= FRAME
    assert len(out) == round(target * s.sr)
    assert plan.joins, "a 76 s song cannot last 30 s, 47.3 s or 2 min without an edit that keeps its ending"
    for j in plan.joins:
        assert _on_true_downbeat(j.src_from, bar) and _on_true_downbeat(j.src_to, bar)
        # The render plays the plan: just after the join, the bar the plan resumes on.
        at, src = round(j.out_time * s.sr), round(j.src_to * s.sr)
        assert _same(out[at : at + s.sr // 2], s.audio[src : src + s.sr // 2])
    # The ending is the song's own ending, untouched.
    assert plan.ending_trim == 0.0 and abs(plan.pieces[-1].src_end - duration) < 1e-9
    assert _same(out[-2 * s.sr :], s.audio[len(s.audio) - 2 * s.sr :])
    if target > duration:
        sources = [(p.src_start, p.src_end) for p in plan.pieces]
        assert sum(b - a for a, b in sources) == pytest.approx(target) and len(plan.joins) >= 1


def test_an_anchor_puts_the_chosen_downbeat_on_its_second(song):
    s, bar, _, feats = song
    music = s.boundaries[3]  # the start of the 4th section
    plan = plan_edit(feats, 30.0, anchors=[(music + 0.02, 12.0)], section_starts=s.boundaries)
    chosen, at = plan.anchors[0]
    assert abs(chosen - music) < 1e-3 and abs(at - 12.0) <= FRAME
    out = render(s.audio, s.sr, plan)
    assert len(out) == 30 * s.sr
    i, src = round(12.0 * s.sr), round(chosen * s.sr)
    assert _same(out[i : i + s.sr], s.audio[src : src + s.sr])  # that downbeat's bar sounds from 12.0 s
    for j in plan.joins:
        assert _on_true_downbeat(j.src_from, bar) and _on_true_downbeat(j.src_to, bar)
    assert plan.ending_trim < bar  # the grid forces at most part of the last bar out


def test_the_default_anchor_is_a_section_change(song):
    s, _, _, feats = song
    music, video = default_anchor(feats, s.boundaries, 9.5)
    assert video == 9.5
    assert min(abs(music - b) for b in s.boundaries[1:]) < 1e-3


@pytest.mark.parametrize(
    ("target", "anchors", "message"),
    [
        (-3.0, (), "positive"),
        (float("nan"), (), "positive"),
        (5000.0, (), "times the track"),
        (30.0, [(10.0, 31.0)], "outside"),
        (30.0, [(500.0, 3.0)], "outside"),
    ],
)
def test_bad_targets_and_anchors_are_refused_with_a_reason(song, target, anchors, message):
    with pytest.raises(ArrangeError, match=message):
        plan_edit(song[3], target, anchors=anchors)


def test_the_naive_edit_is_the_track_cut_with_a_fade(song):
    s, *_ = song
    out = naive_edit(s.audio, s.sr, 10.0, offset=2.0)
    assert len(out) == 10 * s.sr
    assert _same(out[: s.sr], s.audio[2 * s.sr : 3 * s.sr]) and abs(out[-1]) < 1e-3


def test_plan_markers_follow_the_edit():
    plan = {
        "pieces": [
            {"src_start": 0.5, "src_end": 8.0, "out_start": 0.0},
            {"src_start": 20.0, "src_end": 26.0, "out_start": 7.5},
        ],
        "joins": [{"out_time": 7.5, "src_from": 8.0, "src_to": 20.0, "cost": 0.4}],
    }
    marks = plan_markers(plan, downbeats=[0.0, 2.0, 4.0, 6.0, 8.0, 20.0, 22.0, 24.0], sections=[0.0, 4.0, 22.0],
                         section_labels=["A", "B", "C"])  # fmt: skip
    assert [(m.time, m.kind) for m in marks] == [
        (1.5, "downbeat"), (3.5, "section"), (5.5, "downbeat"), (7.5, "join"), (9.5, "section"), (11.5, "downbeat"),
    ]  # fmt: skip
    assert marks[3].label == "Join 1: 8.0 s to 20.0 s" and marks[4].label == "Section C"


def test_the_video_peak_is_the_cut_with_the_biggest_rise_of_activity():
    hop = 0.25
    activity = np.r_[np.full(20, 0.1), np.full(20, 0.3), np.full(20, 1.5), np.full(20, 0.2)]  # 5 s, 10 s, 15 s
    assert video_peak(activity, hop, cuts=[5.0, 10.0, 15.0], duration=20.0) == 10.0
    assert video_peak(activity, hop, duration=20.0) == 10.0  # no cuts: the largest rise itself
