"""How the learner decides where to search: credit of liked loops, the explore-to-exploit schedule."""

import numpy as np

from recommender.drums import search
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


def test_a_chain_of_slips_is_judged_as_one_cluster():
    """Four likes in a chain, each 2-4 hits from the next, each with three disliked variations (a quarter of the answers
    liked: slips, at 10 % noise, among a region the taste does not reach). Judged one by one, every like counts its
    neighbours' likes and only its own variations' dislikes, and stays credible; judged as the cluster they form,
    they are dropped and the learner explores the prior again."""
    rng = np.random.default_rng(0)
    chain = [sample_prior(1, rng)[0]]
    for _ in range(3):
        chain.append(edit(chain[-1][None], rng, 4)[0])
    chain = np.array(chain)
    disliked = np.concatenate([_around(loop, 3, rng) for loop in chain])
    rated = np.concatenate([sample_prior(6, rng), chain, disliked])
    labels = np.array([0] * 6 + [1] * 4 + [0] * len(disliked), dtype=np.float32)
    assert (hamming(chain[1:], chain[:-1]).diagonal() <= LearnerConfig().neighbourhood).all()
    for scope, expected in (("loop", {"variation", "search"}), ("cluster", {"prior"})):
        cfg = LearnerConfig(credit_scope=scope)
        sources = {propose(rated, labels, rated, rng=np.random.default_rng(s), config=cfg).source for s in range(3)}
        assert sources <= expected, (scope, sources)


def test_a_fresh_like_is_tested_close_by_and_the_region_grows_as_likes_confirm_it():
    """Trust region: around a like with no other like near it, variations stay within ``trust_start`` hits; once
    three variations near it are liked too, they may go up to ``trust_radius``."""
    cfg = LearnerConfig(trust_start=4, trust_grow=1, trust_radius=6)
    rng = np.random.default_rng(2)
    liked = sample_prior(1, rng)[0]
    others = sample_prior(5, rng)
    fresh = np.concatenate([others, liked[None]])
    fresh_labels = np.array([0] * 5 + [1], dtype=np.float32)
    props = [propose(fresh, fresh_labels, fresh, rng=np.random.default_rng(s), config=cfg) for s in range(4)]
    near = [p for p in props if p.source != "prior"]
    assert near and all(hamming(p.pattern[None], liked[None])[0, 0] <= cfg.trust_start for p in near)
    confirmed = np.concatenate([fresh, _around(liked, 3, rng)])
    labels = np.concatenate([fresh_labels, np.ones(3, dtype=np.float32)])
    assert search.trust_radii(liked[None], confirmed, labels, cfg)[0] == cfg.trust_radius
    assert search.trust_radii(liked[None], fresh, fresh_labels, cfg)[0] == cfg.trust_start


def test_credit_drawn_from_its_posterior_retries_an_unlucky_like_but_not_a_slip():
    """With ``credit_draw``, a like whose first two variations were disliked (its mean credit just under the
    threshold) is still searched around in some draws; a like among twelve disliked variations almost never is."""
    rng = np.random.default_rng(5)
    liked = sample_prior(1, rng)[0]
    others = sample_prior(6, rng)
    labels_for = lambda k: np.array([0] * 6 + [1] + [0] * k, dtype=np.float32)  # noqa: E731
    unlucky = np.concatenate([others, liked[None], _around(liked, 2, rng)])
    slip = np.concatenate([others, liked[None], _around(liked, 12, rng)])
    for cfg, rated, k, lo, hi in (
        (LearnerConfig(pool_size=300), unlucky, 2, 0, 0),  # the mean credit: never searched around again
        (LearnerConfig(pool_size=300, credit_draw=True), unlucky, 2, 3, 12),
        (LearnerConfig(pool_size=300, credit_draw=True), slip, 12, 0, 1),
    ):
        searched = sum(
            propose(rated, labels_for(k), rated, rng=np.random.default_rng(s), config=cfg).source != "prior"
            for s in range(12)
        )
        assert lo <= searched <= hi, (cfg.credit_draw, k, searched)


def test_late_caution_prefers_the_candidate_the_critic_is_surer_of():
    """``lcb``: among equally scored candidates the one far from every rating (wide posterior) loses to one close
    to the liked ratings; with no caution the higher score wins whatever its doubt."""
    from recommender.drums.bayes import BayesLogistic
    from recommender.drums.learner import _cautious

    rng = np.random.default_rng(0)
    x = rng.standard_normal((20, 5))
    critic = BayesLogistic(1.0).fit(x, (x[:, 0] > 0).astype(float))
    sure, unsure = x[np.argmax(x[:, 0])], 10 * rng.standard_normal(5)
    pool = np.stack([unsure, sure])
    _, sd = critic.predict(pool)
    assert sd[0] > 2 * sd[1]
    scores = np.array([1.01, 1.0])
    assert _cautious(critic, pool, scores, 0.0) == 0 and _cautious(critic, pool, scores, 1.0) == 1


def test_late_in_a_session_a_like_that_lost_credit_is_still_the_best_bet():
    """``final_min_credit``: a like whose two variations were disliked is not searched around early (the learner
    explores the prior), but after ``horizon`` ratings it is, rather than a prior draw."""
    rng = np.random.default_rng(5)
    liked = sample_prior(1, rng)[0]
    rated = np.concatenate([sample_prior(6, rng), liked[None], _around(liked, 2, rng)])
    labels = np.array([0] * 6 + [1] + [0] * 2, dtype=np.float32)
    for horizon, expected in ((30, {"prior"}), (len(rated), {"variation", "search"})):
        cfg = LearnerConfig(pool_size=300, final_min_credit=0.0, horizon=horizon)
        sources = {propose(rated, labels, rated, rng=np.random.default_rng(s), config=cfg).source for s in range(4)}
        assert sources <= expected, (horizon, sources)
