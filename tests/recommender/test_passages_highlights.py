"""Short-passage search with offset voting (recommender/passages.py) and highlights (recommender/highlights.py)."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.analysis import analyze, spectra
from recommender.highlights import highlight, section_entry
from recommender.index import build
from recommender.passages import (
    DIM,
    block_features,
    passage_ids,
    passage_vectors,
    query_passages,
    split_ids,
    vote,
)
from recommender.spectral import power_spectrogram
from recommender.synth.music import make_song

SR = 22050


def test_ids_round_trip_and_vectors_are_unit():
    ids = passage_ids(12345, 7)
    tracks, blocks = split_ids(ids)
    assert (tracks == 12345).all() and list(blocks) == list(range(7))
    v = passage_vectors(np.random.default_rng(0).random((10, 24)).astype(np.float32))
    assert v.shape == (7, DIM) and np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert passage_vectors(np.zeros((3, 24), dtype=np.float32)).shape == (0, DIM)


def test_vote_adds_up_agreeing_offsets():
    # three query passages at 0, 0.5, 1 s; track 1 agrees on offset 10 s, track 2 has one better but lone hit
    a, b = passage_ids(1, 100), passage_ids(2, 100)
    ids = np.array([[a[20], b[50]], [a[21], b[3]], [a[22], b[70]]])
    scores = np.array([[0.8, 0.95], [0.8, 0.1], [0.8, 0.1]])
    best = vote(ids, scores, np.array([0.0, 0.5, 1.0]))
    assert best[0].track_id == 1 and best[0].start == 10.0 and best[0].votes == 3


@pytest.mark.slow
def test_a_gain_changed_noisy_excerpt_finds_its_song_and_offset():
    songs = [make_song(seed, max_seconds=40.0).audio for seed in (11, 12, 13)]
    vecs = [passage_vectors(block_features(power_spectrogram(y), SR)) for y in songs]
    index = build(np.concatenate(vecs), np.concatenate([passage_ids(i, len(v)) for i, v in enumerate(vecs)]), "Flat")
    rng = np.random.default_rng(0)
    start = 12.3
    excerpt = songs[1][int(start * SR) : int((start + 10) * SR)] * 0.7
    excerpt = excerpt + 0.003 * rng.standard_normal(len(excerpt)).astype(np.float32)
    q, times = query_passages(power_spectrogram(excerpt), SR)
    scores, ids = index.search(q, 20)
    best = vote(ids, scores, times)
    assert best[0].track_id == 1 and abs(best[0].start - start) <= 1.0
    assert best[0].score > best[1].score + 0.2


def blocks_for(form: list[str], seconds: dict[str, float], rng) -> tuple[np.ndarray, np.ndarray, list[float]]:
    """Block features and an energy curve (0.5 s each) for a form: each part its own repeated pattern and level."""
    patterns = {name: rng.standard_normal((8, 24)) for name in set(form)}
    level = {"intro": -30.0, "verse": -20.0, "chorus": -12.0, "bridge": -18.0, "outro": -28.0}
    blocks, energy, starts, t = [], [], [], 0.0
    for name in form:
        n = int(seconds[name] / 0.5)
        starts.append(t)
        blocks += [patterns[name][i % 8] + 0.3 * rng.standard_normal(24) for i in range(n)]
        energy += [level[name] + rng.normal(0, 1)] * n
        t += n * 0.5
    return np.array(blocks), np.array(energy), starts


def test_the_highlight_is_the_loud_repeated_chorus():
    rng = np.random.default_rng(0)
    form = ["intro", "verse", "chorus", "verse", "chorus", "bridge", "chorus", "outro"]
    lengths = {"intro": 8, "verse": 16, "chorus": 16, "bridge": 12, "outro": 8}
    blocks, energy, starts = blocks_for(form, lengths, rng)
    duration = len(blocks) * 0.5
    start, end = highlight(blocks, energy, duration, section_starts=starts)
    chorus_starts = [s for s, name in zip(starts, form, strict=True) if name == "chorus"]
    assert min(abs(start - s) for s in chorus_starts) <= 1.0
    assert 15.0 <= end - start <= 30.0
    # the bridge is loud too but never comes back: never the highlight, even when it is the loudest part
    energy_loud_bridge = energy.copy()
    b = starts[form.index("bridge")]
    energy_loud_bridge[int(b / 0.5) : int((b + 12) / 0.5)] = -10.0
    start, _ = highlight(blocks, energy_loud_bridge, duration, section_starts=starts)
    assert min(abs(start - s) for s in chorus_starts) <= 1.0
    assert highlight(blocks[:20], energy[:20], 10.0) == (0.0, 10.0)  # a short track is its own highlight


def test_the_start_moves_to_the_downbeat_where_a_louder_different_section_comes_in():
    rng = np.random.default_rng(1)
    t = np.arange(80) * 0.5  # 40 s of blocks and energy, 0.5 s each
    entry = 20.0
    blocks = np.where((t < entry)[:, None], rng.normal(0, 1, 24), rng.normal(0, 1, 24)) + rng.normal(0, 0.1, (80, 24))
    energy = np.where(t < entry, -24.0, -14.0) + rng.normal(0, 0.5, 80)
    downbeats = np.arange(0.0, 40.0, 2.0)  # one bar every 2 s
    assert section_entry(blocks, energy, 17.0, downbeats) == entry
    assert section_entry(blocks, energy, 23.5, downbeats, radius=4.0) == entry
    assert section_entry(blocks, energy, 31.0, downbeats, radius=0.5) == 31.0  # no downbeat that close
    assert section_entry(blocks, energy, 17.0, downbeats, radius=2.0) != entry  # out of reach
    assert section_entry(blocks, energy, 17.0, [18.0]) == 17.0  # one downbeat: no bar length to compare over


@pytest.mark.slow
@pytest.mark.parametrize("song_seed", [9, 18])
def test_highlight_of_a_generated_song_starts_at_a_chorus(song_seed):
    song = make_song(song_seed, max_seconds=90.0)
    spec = spectra(song.audio, SR)
    a = analyze(song.audio, SR, spec=spec)
    start, end = highlight(block_features(spec.power, SR), a.energy, a.duration,
                           section_starts=[s.start for s in a.sections], downbeats=a.downbeats)  # fmt: skip
    names = [p.name for p in song.sections]
    level = {p.name: p.energy for p in song.sections}
    loudest_repeated = max((n for n in names if names.count(n) > 1), key=level.get)  # the chorus, the drop…
    chorus = [t for t, name in zip(song.boundaries, names, strict=True) if name == loudest_repeated]
    assert min(abs(start - t) for t in chorus) <= 2.0 and 15.0 - 1e-6 <= end - start <= 30.0
