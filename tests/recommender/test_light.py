"""Light against loudness at 25 ms: the offset where a picture's brightness follows a track's level."""

import numpy as np
import pytest

from recommender.alignment import Weights, align, music_sequence, video_sequence
from recommender.fine_sync import FINE_HOP
from recommender.light import (
    highpass,
    light_correlations,
    light_curve,
    light_evidence,
    light_trace,
    loudness_curve,
)

FPS = 30.0


def level(seconds: float, seed: int, hop: float = 0.0232) -> np.ndarray:
    """A track's level in dB per analysis frame: hits on a 120-BPM 16th-note grid (a rhythm of its own, with
    accents), and slow swells."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds / hop)) * hop
    steps = np.arange(0.0, seconds, 0.125)
    hits = np.zeros_like(t)
    for s in steps[rng.random(len(steps)) < 0.4]:
        hits += rng.uniform(0.2, 1.0) * np.exp(-np.clip(t - s, 0, None) / 0.06) * (t >= s)
    knots = np.arange(0.0, seconds + 4.0, 4.0)
    swell = np.interp(t, knots, rng.normal(0, 1, len(knots)))
    return (-30 + 10 * hits + 3 * swell).astype(np.float32)


def picture(db: np.ndarray, hop: float, start: float, seconds: float, cuts, seed: int, follow: float = 0.5):
    """Frame times and brightness of a video whose light follows ``db`` from ``start``, over slow camera drift
    and a different photograph (base brightness) in every shot."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * FPS)) / FPS
    z = np.interp(start + t, np.arange(len(db)) * hop, db)
    z = (z - z.mean()) / z.std()
    shot = np.searchsorted(np.asarray(cuts), t, side="right")
    base = rng.uniform(0.25, 0.7, len(cuts) + 1)[shot] * (1 + 0.3 * np.sin(2 * np.pi * t / 7.0))  # drift
    return t, np.clip(base * (1 + follow * 0.2 * z) + rng.normal(0, 0.004, len(t)), 0, 1)


def test_highpass_removes_slow_change_and_keeps_the_pulse():
    t = np.arange(400) * FINE_HOP
    pulse = np.sin(2 * np.pi * 2.0 * t)  # 2 Hz: beats at 120 BPM
    out = highpass(pulse + 0.5 * t, 20)  # plus a ramp (a fade, a camera move)
    inner = slice(20, -20)
    assert abs(out[inner].mean()) < 0.05
    assert np.corrcoef(out[inner], pulse[inner])[0, 1] > 0.95


def test_light_finds_the_offset_where_the_picture_follows_the_level():
    hop = 0.0232
    tracks = [level(60.0, seed) for seed in range(4)]
    cuts = [3.1, 7.4, 12.0, 16.6]
    times, bright = picture(tracks[2], hop, start=21.4, seconds=20.0, cuts=cuts, seed=5)
    light = light_curve(times, bright, cuts, duration=20.0)
    curves = [loudness_curve(db, hop, 60.0) for db in tracks]
    scores = light_correlations(light, curves)
    best = [float(s.max()) for s in scores]
    assert int(np.argmax(best)) == 2, best
    assert best[2] > 0.8 and max(best[:2] + best[3:]) < 0.4, best
    assert abs(int(np.argmax(scores[2])) * FINE_HOP - 21.4) <= FINE_HOP


def test_a_short_track_counts_its_missing_end_as_no_agreement():
    hop = 0.0232
    db = level(30.0, 1)
    times, bright = picture(db, hop, start=0.0, seconds=20.0, cuts=[5.0], seed=2)
    light = light_curve(times, bright, [5.0], duration=20.0)
    full = light_correlations(light, [loudness_curve(db, hop, 30.0)])[0]
    short = light_correlations(light, [loudness_curve(db[: int(10.0 / hop)], hop, 10.0)])[0]
    assert len(short) == 1 and 0.2 < short[0] < full[0], (short, full[0])


def test_alignment_uses_light_to_pick_the_track_and_the_frame():
    """Two tracks with the same beat grid and no cuts: only the light tells them, and the offset, apart."""
    hop = 0.0232
    tracks = [level(60.0, seed) for seed in (7, 8)]
    times, bright = picture(tracks[1], hop, start=17.3, seconds=20.0, cuts=[], seed=3)
    onsets = np.ones(int(60.0 / hop), dtype=np.float32) * 0.1
    beats = np.arange(0.0, 60.0, 0.5)

    def track(db):
        one = np.ones((1, 8), np.float32)
        return music_sequence(60.0, [(0.0, 60.0)], one, beats=beats, downbeats=beats[::4], energy=np.full(120, -20.0),
                              onset_envelope=onsets, onset_hop=hop, loudness=db)  # fmt: skip

    seqs = [track(db) for db in tracks]
    video = video_sequence(20.0, [(0.0, 20.0)], np.ones((1, 8), np.float32), frame_rate=FPS,
                           light=light_curve(times, bright, [], duration=20.0))  # fmt: skip
    with_light = align(video, seqs, weights=Weights(content=0.0, sync=0.0, energy=0.1, onset=0.1, light=0.5))
    assert with_light[1].score > with_light[0].score
    assert abs(with_light[1].offset - 17.3) <= 1.0 / FPS, with_light[1].offset
    assert with_light[1].light > 0.8 > with_light[0].light
    without = align(video, seqs, weights=Weights(content=0.0, sync=0.0, energy=0.1, onset=0.1))
    assert without[1].light is None and without[0].light is None  # no weight: the term is not measured


def test_a_track_analysed_before_the_light_neither_blocks_nor_wins_the_term():
    """A catalog upgraded in place holds tracks without a level until re-analysed: the others keep the light term,
    and the old track is scored as a typical track the light does not follow (its term is reported as None)."""
    hop = 0.0232
    levels = [level(60.0, seed) for seed in (11, 12, 13, 14, 15)]
    times, bright = picture(levels[2], hop, start=21.7, seconds=20.0, cuts=[], seed=5)
    onsets = np.ones(int(60.0 / hop), dtype=np.float32) * 0.1
    one = np.ones((1, 8), np.float32)

    def track(db):
        return music_sequence(60.0, [(0.0, 60.0)], one, energy=np.full(120, -20.0), onset_envelope=onsets,
                              onset_hop=hop, loudness=db)  # fmt: skip

    light = light_curve(times, bright, [], duration=20.0)
    video = video_sequence(20.0, [(0.0, 20.0)], one, frame_rate=FPS, light=light)
    weights = Weights(content=0.0, sync=0.0, energy=0.1, onset=0.1, light=0.5)
    full = align(video, [track(db) for db in levels], weights=weights)
    seqs = [track(db) for db in levels]
    seqs[4].loudness = None  # analysed before the level was kept
    found = align(video, seqs, weights=weights)
    assert int(np.argmax([f.score for f in found])) == 2 and abs(found[2].offset - 21.7) <= 1.0 / FPS
    assert found[2].light == pytest.approx(full[2].light) and found[4].light is None
    assert all(f.light is not None for f in found[:4])
    # Scored as typical: between the unlit tracks' scores, far below the lit one's.
    unlit = sorted(f.score for f in found[:2] + found[3:4])
    assert unlit[0] <= found[4].score <= unlit[-1] < found[2].score, [f.score for f in found]
    # The lit track itself, unanalysed, loses only its own light (the term stays on for the rest).
    seqs = [track(db) for db in levels]
    seqs[2].loudness = None
    found = align(video, seqs, weights=weights)
    assert found[2].light is None and all(found[i].light == pytest.approx(full[i].light) for i in (0, 1, 3, 4))


def test_a_tracks_cached_spectrum_follows_the_video_length():
    """A cached sequence keeps one spectrum per video length: a longer video after a shorter one still scores
    every offset right (a stale spectrum would misplace or miss it)."""
    hop = 0.0232
    db = level(60.0, 4)
    onsets = np.ones(int(60.0 / hop), dtype=np.float32) * 0.1
    one = np.ones((1, 8), np.float32)
    seq = music_sequence(60.0, [(0.0, 60.0)], one, energy=np.full(120, -20.0), onset_envelope=onsets, onset_hop=hop,
                         loudness=db)  # fmt: skip
    weights = Weights(content=0.0, sync=0.0, energy=0.0, onset=0.01, light=1.0)
    for seconds, start in ((12.0, 30.2), (25.0, 8.6)):
        times, bright = picture(db, hop, start=start, seconds=seconds, cuts=[], seed=1)
        video = video_sequence(seconds, [(0.0, seconds)], one, frame_rate=FPS,
                               light=light_curve(times, bright, [], duration=seconds))  # fmt: skip
        found = align(video, [seq], weights=weights)[0]
        assert abs(found.offset - start) <= 1.0 / FPS and found.light > 0.8, (seconds, found.offset, found.light)
        assert seq.level_spectrum(len(video.light)).n == len(video.light)


def test_the_trace_shows_the_light_moving_with_the_level_at_the_chosen_offset():
    hop, start, seconds = 0.0232, 21.4, 20.0
    curve = loudness_curve(level(60.0, seed=7), hop, 60.0)
    offset = round(start / FINE_HOP)
    n = round(seconds / FINE_HOP)
    noise = np.random.default_rng(8).normal(0.0, 0.3 * curve.std(), n)
    light = 0.02 * (curve[offset : offset + n] + noise)  # log brightness moves far less than dB

    times, pic, music = light_trace(light, curve, offset)
    assert len(times) == len(pic) == len(music) == n // 4
    assert times[:3] == pytest.approx([0.0, 0.1, 0.2]) and times[-1] == pytest.approx(seconds - 0.1)
    assert np.corrcoef(pic, music)[0, 1] > 0.9
    for wrong in (offset - 40, offset + 13, offset + 400):  # a second early, a third of a beat late, 10 s late
        assert abs(np.corrcoef(*light_trace(light, curve, wrong)[1:])[0, 1]) < 0.3


def test_the_trace_of_a_track_that_ends_early_is_flat_past_its_end():
    curve = loudness_curve(level(10.0, seed=3), 0.0232, 10.0)
    light = curve[200:]  # 5 s of light from 5 s in; the track's 5 s then run out at offset 300
    times, pic, music = light_trace(light, curve, 300, step=1)
    assert len(times) == len(pic) == len(music) == len(light)
    assert np.all(music[-100:] == music[-1])  # padded with the pulse's silence
    assert light_trace(np.zeros(0), curve, 0)[0].shape == (0,)


def test_light_evidence_favours_a_strong_correlation():
    r = np.linspace(-1.0, 1.0, 41)
    e = light_evidence(r)
    assert np.all(np.diff(e) > 0) and np.all(np.isfinite(e))  # monotone, finite even at |r| = 1
    assert light_evidence(np.array([0.5]))[0] == pytest.approx(0.5)  # a blend fitted on r keeps its meaning at 0.5
    assert light_evidence(np.array([0.2]))[0] < 0.2 and light_evidence(np.array([0.8]))[0] > 0.8 * 2
    assert light_evidence(np.array([-0.7]))[0] == pytest.approx(-light_evidence(np.array([0.7]))[0])
