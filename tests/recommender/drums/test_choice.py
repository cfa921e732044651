"""How the learner decides where to search: credit of liked loops, the explore-to-exploit schedule."""

import numpy as np

from recommender.drums.learner import LearnerConfig, _schedule, edit, propose
from recommender.drums.patterns import hamming, sample_prior


def _around(loop: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` variations of one loop, 2 or 3 hits away."""
    return edit(np.repeat(loop[None], n, axis=0), rng, rng.integers(2, 4, size=n))


def test_a_like_among_disliked_neighbours_loses_credit_and_the_learner_explores_again():
    """A like whose variations are all disliked reads as a slip (10 % of answers are): the next loop comes from the
    prior, far from it. The same like with liked variations is searched around."""
    rng = np.random.default_rng(4)
    liked = sample_prior(1, rng)[0]
    others = sample_prior(6, rng)
    near = _around(liked, 6, rng)
    rated = np.concatenate([others, liked[None], near])
    slip = np.array([0] * 6 + [1] + [0] * 6, dtype=np.float32)
    prop = propose(rated, slip, rated, rng=np.random.default_rng(0))
    assert prop.source == "prior" and hamming(prop.pattern[None], liked[None])[0, 0] > 6
    kept = np.array([0] * 6 + [1] + [1, 1, 0, 1, 1, 0], dtype=np.float32)
    props = [propose(rated, kept, rated, rng=np.random.default_rng(s)) for s in range(3)]
    assert all(p.source in ("variation", "search") for p in props), [p.source for p in props]
    assert all(hamming(p.pattern[None], rated[kept > 0]).min() <= LearnerConfig().trust_radius for p in props)


def test_schedule_explores_early_and_exploits_late():
    cfg = LearnerConfig()
    (t0, share0), (t_end, share_end) = _schedule(cfg, 0), _schedule(cfg, cfg.horizon + 5)
    assert t0 == cfg.temperature and share0 == cfg.exploit_share
    assert t_end == cfg.final_temperature < t0 and share_end == cfg.final_exploit_share > share0
