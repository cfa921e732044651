"""Exploring by design: prior draws chosen to fill the space of what is heard, as prior quantiles."""

import numpy as np

from recommender.drums.ears import ears_for
from recommender.drums.kit import synth_kit
from recommender.drums.learner import LearnerConfig, propose
from recommender.drums.patterns import hamming, sample_prior


def _ears():
    cfg = LearnerConfig()
    return ears_for((synth_kit(16000),), 16, 120.0, 0.0, cfg.rbf_features, cfg.rbf_scale)


def _min_dist(q: np.ndarray, ref: np.ndarray) -> np.ndarray:
    return np.sqrt(((q[:, None, :] - ref[None, :, :]) ** 2).sum(-1)).min(axis=1)


def test_design_space_is_each_heard_feature_as_its_prior_quantile():
    ears = _ears()
    loops = sample_prior(1500, np.random.default_rng(8))  # not the loops the quantiles were built on
    q = ears.design(loops, np.zeros(len(loops), int))
    assert q.shape[1] >= 20 and q.min() >= 0.0 and q.max() <= 1.0
    # Under the prior every column is spread over [0, 1] around its middle (counts tie, so not exactly uniform).
    assert np.all(np.abs(q.mean(0) - 0.5) < 0.12), q.mean(0).round(2)
    assert np.median(q.std(0)) > 0.2


def test_exploring_by_design_plays_a_prior_loop_far_from_everything_rated():
    ears = _ears()
    rated = sample_prior(12, np.random.default_rng(2))
    labels = np.zeros(12, dtype=np.float32)
    q_rated = ears.design(rated, np.zeros(12, int))
    fresh = sample_prior(400, np.random.default_rng(3))
    typical = _min_dist(ears.design(fresh, np.zeros(400, int)), q_rated)
    cfg = LearnerConfig(explore="design", design_share=1.0)
    for s in range(4):
        prop = propose(rated, labels, rated, rng=np.random.default_rng(s), kit=synth_kit(16000), config=cfg)
        far = _min_dist(ears.design(prop.pattern[None], np.zeros(1, int)), q_rated)[0]
        assert prop.source == "prior" and far > np.percentile(typical, 85), (far, np.percentile(typical, 85))


def test_a_walk_by_design_reaches_a_rare_corner_of_the_prior_sooner_than_prior_draws():
    """25 exploring ratings with no like: how often a region of ~4 % prior mass is never visited."""
    ears = _ears()
    cfg = LearnerConfig(explore="design", design_share=1.0)
    groups = ears.groups[ears.groups != "rbf"]
    metre = np.flatnonzero(groups == "metre")
    ref = ears.raw(sample_prior(4000, np.random.default_rng(4)), np.zeros(4000, int))[:, metre]
    a, b = 2 * 7 + 5, 0 * 7 + 1  # (band, level) as band × 7 + level: high on odd 16ths, low on beat 3
    hi_a, lo_b = np.quantile(ref[:, a], 0.8), np.quantile(ref[:, b], 0.15)
    base = np.mean((ref[:, a] >= hi_a) & (ref[:, b] <= lo_b))
    assert 0.01 < base < 0.08, base

    def in_corner(loops):
        x = ears.raw(loops, np.zeros(len(loops), int))[:, metre]
        return (x[:, a] >= hi_a) & (x[:, b] <= lo_b)

    walks, steps, missed_design = 8, 25, 0
    for w in range(walks):
        rng = np.random.default_rng(100 + w)
        played = sample_prior(1, rng)
        for _ in range(steps - 1):
            labels = np.zeros(len(played), dtype=np.float32)
            prop = propose(played, labels, played, rng=rng, kit=synth_kit(16000), config=cfg)
            played = np.concatenate([played, prop.pattern[None]])
        missed_design += not in_corner(played).any()
    missed_prior = (1 - base) ** steps * walks  # expected misses of i.i.d. prior draws
    assert missed_design < 0.6 * missed_prior, (missed_design, missed_prior, base)


def test_the_walk_does_not_shun_a_like_whose_variations_were_disliked():
    """A strict taste breaks under most edits: a like whose two variations were disliked loses its credit, but the
    walk must still be free to come back there, as prior draws would. Only disliked loops away from every like
    push it away."""
    from recommender.drums.learner import _covered
    from recommender.drums.search import edit

    rng = np.random.default_rng(6)
    like = sample_prior(1, rng)
    variations = edit(np.repeat(like, 2, axis=0), rng, 2)
    elsewhere = sample_prior(6, rng)
    rated = np.concatenate([like, variations, elsewhere])
    labels = np.array([1, 0, 0, 0, 0, 0, 0, 0, 0], dtype=np.float32)
    covered = _covered(rated, labels, LearnerConfig())
    far = hamming(elsewhere, like)[:, 0] > LearnerConfig().neighbourhood
    assert not covered[:3].any() and (covered[3:] == far).all() and far.sum() >= 4


def test_herding_plays_typical_loops_first_and_rare_corners_once_they_are_disliked():
    """Kernel herding weighs where the prior's mass is against what was disliked: with two dislikes it plays
    loops from the prior's crowded middle (where a common taste such as a house groove lives); after twenty it
    has moved out to the rare corners. The farthest draw plays atypical loops from the start."""
    from recommender.drums.learner import _herding_gain

    ears, cfg = _ears(), LearnerConfig()
    ref = ears.design_reference()

    def density(loops):  # the prior's kernel density there (herding's score with nothing to move away from)
        return _herding_gain(ears.design(loops, np.zeros(len(loops), int)), ref[:0], ref, cfg, ears.design_spread)

    prior_density = density(sample_prior(400, np.random.default_rng(3)))

    def typicality(rule: str, n_rated: int) -> float:
        """The median, over 12 seeds, of the played loop's density as a quantile among prior draws (0.5: as
        typical as a prior draw). Measured with four seed offsets: herding after 2 dislikes 0.64-0.78, after 20
        0.04-0.11; the farthest draw after 2 dislikes 0.04-0.15."""
        quantiles = []
        for s in range(12):
            rated = sample_prior(n_rated, np.random.default_rng(50 + s))
            prop = propose(
                rated, np.zeros(n_rated, np.float32), rated, rng=np.random.default_rng(s), kit=synth_kit(16000),
                config=LearnerConfig(design_rule=rule, design_share=1.0),
            )  # fmt: skip
            quantiles.append((prior_density < density(prop.pattern[None])[0]).mean())
        return float(np.median(quantiles))

    early, late = typicality("herd", 2), typicality("herd", 20)
    assert early > 0.5 and late < 0.3 and typicality("farthest", 2) < 0.3, (early, late)
