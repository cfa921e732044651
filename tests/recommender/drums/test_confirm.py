"""Telling a true like from a slip: the confirming probe after a fresh like, and the weight of its answer."""

import numpy as np

from recommender.drums import features, search
from recommender.drums.ears import ears_for
from recommender.drums.hearing import hear
from recommender.drums.kit import synth_kit
from recommender.drums.learner import LearnerConfig, propose
from recommender.drums.patterns import hamming, sample_prior
from recommender.drums.render import render

CONFIRM = LearnerConfig()


def _ears():
    cfg = LearnerConfig()
    kit = synth_kit(features.FEATURE_SR)
    return ears_for((kit,), 16, 120.0, 0.0, cfg.rbf_features, cfg.rbf_scale, tuple(cfg.rbf_groups))


def _onsets(pattern: np.ndarray, kit) -> np.ndarray:
    return hear(render(pattern, kit, tempo=120.0), kit.sr, 120.0).onsets


def test_the_probe_is_one_hit_away_and_sounds_like_the_loop_it_tests():
    """A listener hears the probe's onsets (band × step, from the rendered audio) as the loop's far more often than
    those of a random one-hit edit."""
    rng = np.random.default_rng(3)
    kit, ears = synth_kit(22050), _ears()
    loops = sample_prior(12, rng)
    changed = {"probe": [], "random": []}
    for loop in loops:
        probe = search.confirm_probe(loop, 0, ears, loop[None])
        assert hamming(probe[None], loop[None])[0, 0] == 1
        heard = _onsets(loop, kit)
        changed["probe"].append((_onsets(probe, kit) != heard).sum())
        for _ in range(3):
            other = loop.copy()
            i, s = rng.integers(loop.shape[0]), rng.integers(loop.shape[1])
            other[i, s] = 0.0 if other[i, s] > 0 else 0.8
            changed["random"].append((_onsets(other, kit) != heard).sum())
    probe, random = np.mean(changed["probe"]), np.mean(changed["random"])
    assert probe <= 0.5 * random and np.mean(np.array(changed["probe"]) == 0) >= 0.5, (probe, random)


def test_a_probe_is_never_a_loop_just_played():
    rng = np.random.default_rng(5)
    loop = sample_prior(1, rng)[0]
    first = search.confirm_probe(loop, 0, _ears(), loop[None])
    second = search.confirm_probe(loop, 0, _ears(), np.stack([loop, first]))
    assert hamming(second[None], first[None])[0, 0] == 2


def _session_so_far(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Six disliked prior loops, then a like: a like heard while exploring."""
    rng = np.random.default_rng(seed)
    rated = sample_prior(7, rng)
    return rated, np.array([0] * 6 + [1], dtype=np.float32)


def test_a_fresh_like_is_confirmed_by_its_closest_variation():
    rated, labels = _session_so_far(1)
    prop = propose(rated, labels, rated, rng=np.random.default_rng(0), config=CONFIRM)
    assert prop.source == "confirm" and hamming(prop.pattern[None], rated[-1:])[0, 0] == 1
    plain = propose(rated, labels, rated, rng=np.random.default_rng(0), config=LearnerConfig(confirm="off"))
    assert plain.source != "confirm" and hamming(plain.pattern[None], rated[-1:])[0, 0] >= 3


def test_a_disliked_probe_drops_the_like_and_a_liked_one_keeps_it():
    """A disliked probe counts ``confirm_weight`` times against the like's credit: the learner explores again
    (counted once, the like would keep its credit and be searched around). After a liked probe, both are."""
    for seed in range(3):
        rated, labels = _session_so_far(seed)
        probe = propose(rated, labels, rated, rng=np.random.default_rng(seed), config=CONFIRM).pattern
        rated = np.concatenate([rated, probe[None]])
        for answer, expected in ((0.0, {"prior"}), (1.0, {"variation", "search"})):
            y = np.append(labels, answer).astype(np.float32)
            sources = {propose(rated, y, rated, rng=np.random.default_rng(s), config=CONFIRM).source for s in range(3)}
            assert sources <= expected, (seed, answer, sources)
        once = LearnerConfig(confirm="heard", confirm_weight=1.0)
        y = np.append(labels, 0.0).astype(np.float32)
        assert propose(rated, y, rated, rng=np.random.default_rng(0), config=once).source != "prior"
