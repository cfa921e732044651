"""The learner against simulated listeners, with fixed seeds."""

import numpy as np
import pytest

from recommender.drums.learner import LearnerConfig, configure_torch, propose
from recommender.drums.listeners import TASTES, Listener, base_rate
from recommender.drums.patterns import N_INSTRUMENTS, sample_prior

pytestmark = pytest.mark.slow


def run_session(taste, seed: int, ratings: int, *, broken: bool = False) -> float:
    """Share of truly liked loops among the last 10 proposals; ``broken`` feeds the critic random labels."""
    configure_torch(1)
    rng = np.random.default_rng(seed)
    listener = Listener(taste, 0.1, np.random.default_rng(500 + seed))
    shown, labels, truth = [], [], []
    cfg = LearnerConfig(pool_size=600)
    for _ in range(ratings):
        hist = np.array(shown, dtype=np.float32).reshape(-1, N_INSTRUMENTS, 16)
        prop = propose(hist, np.array(labels, dtype=np.float32), hist, rng=rng, config=cfg)
        liked = listener.rate(prop.pattern)
        shown.append(prop.pattern)
        labels.append(float(rng.random() < 0.5) if broken else float(liked))
        truth.append(taste(prop.pattern))
    return float(np.mean(truth[-10:]))


def test_learner_beats_random_and_a_broken_learner(seed):
    taste = TASTES["four_on_the_floor"]
    rand = base_rate(taste, sample_prior(5000, np.random.default_rng(9)))
    # Averaged over four listeners. Measured on sessions 0-19: most reach 0.8-1.0 liked in their last 10, but about
    # one in five never finds this taste within 30 ratings (0.0), so four-session means range 0.4-0.93 (issue 14).
    sessions = range(4 * seed, 4 * seed + 4)
    learned = np.mean([run_session(taste, s, 30) for s in sessions])
    # Random labels mostly give 0.0, but now and then reinforce this taste by chance (0.9 once in sessions 0-19).
    broken = np.mean([run_session(taste, s, 30, broken=True) for s in sessions])
    assert rand < 0.25
    assert learned >= rand + 0.2 and learned >= broken + 0.2, (learned, broken, rand)
    assert broken < rand + 0.3, (broken, rand)


def test_cold_start_proposes_from_prior_and_is_fast():
    empty = np.zeros((0, N_INSTRUMENTS, 16), dtype=np.float32)
    prop = propose(empty, np.zeros(0), empty, rng=np.random.default_rng(0))
    assert prop.source == "prior" and prop.pattern.shape == (N_INSTRUMENTS, 16) and (prop.pattern > 0).any()
    one = prop.pattern[None]
    nxt = propose(one, np.array([1.0]), one, rng=np.random.default_rng(1))  # works from the first rating
    assert 0 <= nxt.p_like <= 1 and nxt.uncertainty >= 0


def test_no_near_duplicates_of_recent_proposals():
    rng = np.random.default_rng(3)
    liked = sample_prior(1, rng)
    recent = np.repeat(liked, 3, axis=0)
    prop = propose(liked, np.array([1.0]), recent, rng=rng)
    assert ((prop.pattern > 0) != (liked[0] > 0)).sum() >= LearnerConfig().min_distance
