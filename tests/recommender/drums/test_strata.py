"""Exploring by strata of the prior: equal-mass cells, the least-visited first, dislikes lower a stratum."""

import numpy as np
import pytest

from recommender.drums import strata
from recommender.drums.ears import ears_for
from recommender.drums.kit import synth_kit
from recommender.drums.learner import LearnerConfig, propose
from recommender.drums.patterns import sample_prior


def _ears():
    cfg = LearnerConfig()
    return ears_for((synth_kit(16000),), 16, 120.0, 0.0, cfg.rbf_features, cfg.rbf_scale)


def test_strata_cut_the_prior_into_cells_of_equal_mass():
    ears = _ears()
    cut, cols = strata.strata_for(ears, 4)
    loops = sample_prior(3200, np.random.default_rng(5))  # not the loops the cut was built on
    counts = np.bincount(cut.assign(ears(loops, np.zeros(len(loops), int))[:, cols]), minlength=cut.n)
    assert cut.n == 16 and counts.min() >= 0.5 * 200 and counts.max() <= 1.6 * 200, counts


def test_a_median_split_follows_the_direction_of_largest_spread():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((1000, 2)) * np.array([5.0, 0.1])
    cut = strata.Strata(z, 1)
    assert (cut.assign(z) == (z[:, 0] > np.median(z[:, 0])).astype(int)).mean() > 0.99 or (
        cut.assign(z) == (z[:, 0] <= np.median(z[:, 0])).astype(int)
    ).mean() > 0.99


def test_least_rule_prefers_unrated_strata_and_beta_rule_lowers_disliked_ones():
    rng = np.random.default_rng(1)
    rated, labels = np.array([0, 0, 1, 2, 2, 2]), np.array([0, 0, 0, 1, 0, 0])
    least = strata.stratum_scores(rated, labels, 4, rng, rule="least")
    assert np.argmax(least) == 3 and least[0] < least[1]
    draws = np.array([strata.stratum_scores(rated, labels, 4, rng, rule="beta") for _ in range(2000)])
    wins = np.bincount(draws.argmax(1), minlength=4) / len(draws)
    # Two dislikes make stratum 0 less likely to be played than unrated stratum 3; one like among three keeps
    # stratum 2 well in the running (it could be a slip at 10 %, or a taste that lives there).
    assert wins[3] > wins[1] > wins[0] and wins[2] > wins[0], wins
    with pytest.raises(ValueError):
        strata.stratum_scores(rated, labels, 4, rng, rule="nope")


def test_exploring_by_strata_plays_a_loop_from_an_unrated_stratum():
    ears = _ears()
    cfg = LearnerConfig(explore="strata", strata_depth=3)
    cut, cols = strata.strata_for(ears, cfg.strata_depth)
    rated = sample_prior(12, np.random.default_rng(2))
    seen = set(cut.assign(ears(rated, np.zeros(12, int))[:, cols]).tolist())
    labels = np.zeros(12, dtype=np.float32)
    for s in range(3):
        prop = propose(rated, labels, rated, rng=np.random.default_rng(s), kit=synth_kit(16000), config=cfg)
        stratum = int(cut.assign(ears(prop.pattern[None], np.zeros(1, int))[:, cols])[0])
        assert prop.source == "prior" and stratum not in seen, (stratum, seen)
