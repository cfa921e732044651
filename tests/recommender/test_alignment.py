import warnings

import numpy as np
import pytest

from recommender.alignment import Weights, align, music_sequence, video_sequence
from recommender.segments import music_segments


def _track(rng, duration=90.0, tempo=None, dim=16):
    tempo = tempo or rng.uniform(80, 160)
    bar = 4 * 60 / tempo
    downbeats = np.arange(rng.uniform(0, bar), duration, bar)
    sections = downbeats[::8][1:]
    spans = music_segments(duration, downbeats, sections)
    vectors = rng.standard_normal((len(spans), dim))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    energy = np.cumsum(rng.normal(0, 1.5, int(duration / 0.5))) - 20
    return {
        "duration": duration,
        "spans": spans,
        "vectors": vectors,
        "downbeats": downbeats,
        "sections": sections,
        "energy": energy,
    }


def _clip(rng, t, offset, seconds=20.0, noise=0.8):
    """A video cut from track ``t`` at ``offset``: cuts on some downbeats, noisy vectors, activity ≈ energy."""
    cuts = [d - offset for d in t["downbeats"] if offset < d < offset + seconds and rng.random() < 0.6]
    edges = [0.0, *cuts, seconds]
    spans = list(zip(edges[:-1], edges[1:], strict=False))
    starts = np.array([s for s, _ in t["spans"]])
    vecs = []
    for a, _ in spans:
        v = t["vectors"][np.searchsorted(starts, a + offset, side="right") - 1] + noise * rng.standard_normal(
            t["vectors"].shape[1]
        ) / np.sqrt(t["vectors"].shape[1])
        vecs.append(v / np.linalg.norm(v))
    times = np.arange(0, seconds, 0.25)
    activity = np.interp(times + offset, np.arange(len(t["energy"])) * 0.5, t["energy"]) + rng.normal(0, 2, len(times))
    return video_sequence(seconds, spans, np.array(vecs), activity=activity, activity_times=times)


def _seq(t):
    return music_sequence(
        t["duration"],
        t["spans"],
        t["vectors"],
        downbeats=t["downbeats"],
        section_starts=t["sections"],
        energy=t["energy"],
    )


@pytest.mark.parametrize("method", ["rigid", "dtw"])
def test_the_source_track_ranks_first_with_its_offset(method):
    rng = np.random.default_rng(7)
    tracks = [_track(rng) for _ in range(30)]
    hits, errors = 0, []
    for _trial in range(5):
        k = int(rng.integers(len(tracks)))
        offset = float(rng.uniform(0, tracks[k]["duration"] - 25))
        video = _clip(rng, tracks[k], offset)
        results = align(video, [_seq(t) for t in tracks], method=method)
        best = int(np.argmax([r.score for r in results]))
        hits += best == k
        errors.append(abs(results[k].offset - offset))
        assert results[k].path[0][0] == 0.0 and results[k].path[-1][0] == pytest.approx(20.0)
    assert hits >= 4, hits
    assert np.median(errors) <= 1.0, errors


def test_structure_alone_still_finds_the_offset():
    rng = np.random.default_rng(3)
    t = _track(rng, tempo=100)
    video = _clip(rng, t, 31.0, noise=50.0)  # content is pure noise
    r = align(video, [_seq(t)], weights=Weights.blend(1.0))[0]
    assert abs(r.offset - 31.0) <= 1.0
    assert r.sync > 0.2 and r.energy > 0.5


def test_a_track_shorter_than_the_video_is_penalised_not_dropped():
    rng = np.random.default_rng(1)
    long_t, short_t = _track(rng, duration=60.0), _track(rng, duration=10.0)
    video = _clip(rng, long_t, 5.0)
    results = align(video, [_seq(long_t), _seq(short_t)])
    assert len(results) == 2 and results[0].score > results[1].score


def test_music_segments_follow_downbeats_and_sections():
    spans = music_segments(20.0, np.arange(0, 20, 2.0), [7.0])
    starts = [s for s, _ in spans]
    assert starts[0] == 0.0 and 7.0 in starts and 4.0 in starts and spans[-1][1] == 20.0
    assert all(b > a for a, b in spans)
    assert music_segments(10.0, [])[1][0] == 4.0  # no downbeats: every 4 s


@pytest.mark.parametrize("method", ["rigid", "dtw"])
def test_a_still_picture_has_no_energy_agreement_and_raises_no_warning(method):
    """A lyric video or a photo held for the whole clip has flat activity: its energy term is 0 for every track,
    the ranking still runs on the other terms, and nothing warns at every request (a 0/0 correlation)."""
    rng = np.random.default_rng(11)
    tracks = [_track(rng) for _ in range(3)]
    video = video_sequence(20.0, [(0.0, 20.0)], np.ones((1, 16)) / 4, activity=np.zeros(80),
                           activity_times=np.arange(0, 20, 0.25))  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        results = align(video, [_seq(t) for t in tracks], method=method, weights=Weights.blend(1.0))
    assert len(results) == 3 and all(r.energy == 0.0 and np.isfinite(r.score) for r in results)


def test_a_short_tracks_loudness_agreement_is_a_bounded_correlation_over_what_it_covers():
    """A quiet 12-s song against a 30-s video that fades in: its loudness in dB (all far below 0) must not be
    read against activity that only sums to zero over the whole video (that made a correlation of 7)."""
    rng = np.random.default_rng(5)
    short = _track(rng, duration=12.0)
    short["energy"] = np.full(24, -40.0) + rng.normal(0, 0.5, 24)
    times = np.arange(0, 30, 0.25)
    activity = np.where(times < 12, -2.0, 1.0) + rng.normal(0, 0.1, len(times))  # dark start, bright rest
    video = video_sequence(30.0, [(0.0, 30.0)], np.ones((1, 16)) / 4, activity=activity, activity_times=times)
    r = align(video, [_seq(short)], weights=Weights(content=0.0, sync=0.0, energy=1.0), paths=0)[0]
    assert -0.4 <= r.energy <= 0.4 + 1e-9  # at most the covered share (12 of 30 s) of a correlation


def test_a_cut_on_a_downbeat_without_an_attack_is_not_punished_as_a_missed_onset():
    """An editor cuts on an onset *or* on the metre: the cut's likelihood is one mixture, so a cut on a
    downbeat where the music has no attack earns the metre's evidence instead of also paying for the onset."""
    from recommender.fine_sync import PRIOR, event_logs, metre_curve

    n = 2400  # 60 s at 25 ms
    downbeats = np.arange(0.0, 60.0, 2.0)
    metre = metre_curve(60.0, beats=np.arange(0.0, 60.0, 0.5), downbeats=downbeats)
    onset = np.zeros(n, dtype=np.float32)
    onset[np.round((downbeats + 0.75) / 0.025).astype(int)] = 1.0  # the attacks fall between the downbeats
    log_on, log_me, log_cut = event_logs(onset, metre, back=2, ahead=3, mix=0.5)
    on_downbeat = np.round(downbeats[4:-4] / 0.025).astype(int)
    nowhere = on_downbeat + 10  # 0.25 s after the downbeat: between two beats, 0.5 s before the attack
    assert np.all(log_cut[on_downbeat] > 0.0)  # more likely there than anywhere: evidence for the offset
    assert np.all(log_cut[on_downbeat] > log_on[on_downbeat] + log_me[on_downbeat] + 0.1)
    assert np.allclose(log_cut[nowhere], np.log(1 - PRIOR), atol=1e-5)  # on nothing: the floor, once


def _steady(tempo: float, duration: float = 90.0):
    """A track of one click per beat at ``tempo``, its onsets and beats exact."""
    beats = np.arange(0.0, duration, 60.0 / tempo)
    hop = 0.01
    envelope = np.zeros(int(duration / hop) + 1)
    envelope[np.round(beats / hop).astype(int)] = 1.0
    spans = music_segments(duration, beats[::4], [])
    return music_sequence(duration, spans, np.ones((len(spans), 4)), downbeats=beats[::4], beats=beats,
                          onset_envelope=envelope, onset_hop=hop)  # fmt: skip


def test_a_picture_that_flashes_on_the_beat_tells_its_track_from_one_a_third_of_a_percent_slower():
    """Over 30 s two steady tracks 0.3 % apart in tempo drift 0.09 s apart: only the track whose beats the flashes
    follow keeps every flash on the frame it shows on (``alignment.event_tolerance``). A window of two frames and
    a lag, as before, scored both alike."""
    fps, start, seconds = 25.0, 20.0, 30.0
    true, near = _steady(120.0), _steady(120.0 * 0.997)
    beats = np.arange(0.0, 90.0, 0.5)
    on_beat = beats[(beats > start) & (beats < start + seconds)] - start
    flashes = np.ceil(on_beat * fps - 1e-9) / fps  # each shows on the first frame after its beat
    video = video_sequence(seconds, [(0.0, seconds)], np.ones((1, 4)), accent_times=flashes,
                           accent_strengths=np.ones(len(flashes)), frame_rate=fps)  # fmt: skip
    found = align(video, [true, near], weights=Weights(content=0.0, sync=0.0, energy=0.0, accent=1.0))
    phase = (found[0].offset - start) % 0.5  # a click track repeats every beat: any beat fits as well
    assert min(phase, 0.5 - phase) <= 1.0 / fps, found[0].offset
    assert found[0].accent > found[1].accent + 5.0, (found[0].accent, found[1].accent)
    assert found[0].score > found[1].score
