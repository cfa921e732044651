"""The learner against simulated listeners, with fixed seeds."""

import numpy as np
import pytest

from recommender.drums.bayes import BayesLogistic
from recommender.drums.ears import ears_for
from recommender.drums.hearing import hear
from recommender.drums.kit import synth_kit
from recommender.drums.learner import LearnerConfig, configure_torch, propose
from recommender.drums.listeners import AUDIO_TASTES, TASTES, AudioListener, Listener, base_rate
from recommender.drums.patterns import N_INSTRUMENTS, sample_prior
from recommender.drums.render import render

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
    """Proposals stay ``min_distance`` hits from the recent ones, but for one: the probe that confirms a fresh like
    (one hit from it). Once the probe is rated, the next loop is far from both again."""
    rng = np.random.default_rng(3)
    liked = sample_prior(1, rng)
    recent = np.repeat(liked, 3, axis=0)
    off = propose(liked, np.array([1.0]), recent, rng=rng, config=LearnerConfig(confirm="off"))
    assert ((off.pattern > 0) != (liked[0] > 0)).sum() >= LearnerConfig().min_distance
    probe = propose(liked, np.array([1.0]), recent, rng=rng)
    assert probe.source == "confirm" and ((probe.pattern > 0) != (liked[0] > 0)).sum() == 1
    rated = np.concatenate([liked, probe.pattern[None]])
    for answer in (0.0, 1.0):
        nxt = propose(rated, np.array([1.0, answer]), rated, rng=rng)
        assert nxt.source != "confirm"
        assert min(((nxt.pattern > 0) != (r > 0)).sum() for r in rated) >= LearnerConfig().min_distance


def audio_session(taste, seed: int, ratings: int = 40, noise: float = 0.0) -> list[bool]:
    """A listener who hears only the rendered WAV (44.1 kHz) and the tempo; the truth of each proposal."""
    configure_torch(1)
    kit, feature_kit = synth_kit(44100), synth_kit(16000)
    rng = np.random.default_rng([seed, 7])
    listener = AudioListener(taste, noise, np.random.default_rng([seed, 11]))
    shown, labels, truth = [], [], []
    for _ in range(ratings):
        hist = np.array(shown, dtype=np.float32).reshape(-1, N_INSTRUMENTS, 16)
        prop = propose(hist, np.array(labels, dtype=np.float32), hist, rng=rng, kit=feature_kit, tempo=120.0)
        audio = render(prop.pattern, kit, tempo=120.0)
        true = listener.truth(audio, 44100, 120.0)
        shown.append(prop.pattern)
        labels.append(float((not true) if listener.rng.random() < noise else true))
        truth.append(true)
    return truth


def test_audio_listener_who_likes_house_grooves(seed):
    """Four on the floor in the low band with hats on every off-beat 8th, judged on the audio (base rate 0.10):
    issue 14 asks for >= 7 liked of the last 10 within 40 ratings.

    Measured liked share of the last 10 (noise-free listener), sessions 0-19, with a fresh like confirmed by its
    closest-sounding one-hit edit (session 15): 0.8 0.9 0.8 0.9 | 0.9 0.9 1.0 1.0 | 1.0 1.0 1.0 0.8 | 1.0 1.0 1.0
    1.0 | 0.9 0.9 0.9 1.0 — 20 of 20 reach 7 of 10, mean 0.94. Before it, exploring by kernel herding (session 13):
    0.4 0.9 0.9 1.0 | 1.0 0.9 1.0 1.0 | 0.9 1.0 1.0 0.9 | 1.0 1.0 1.0 0.7 | 0.7 0.9 1.0 1.0 — 19 of 20, mean 0.91.
    Half by the farthest draw, half by prior draws (session 12): 17 of 20, mean 0.87; plain prior draws (sessions
    0-29) 29 of 30, mean 0.92; the farthest draw alone 25 of 30, mean 0.82 (it shuns the prior's crowded middle,
    where this groove lives; herding starts there). The first
    Bayesian learner: 0.25, half the sessions never found the taste. For every seed: three of four sessions reach 7.
    """
    taste = AUDIO_TASTES["house_groove"]
    shares = [np.mean(audio_session(taste, s)[-10:]) for s in range(4 * seed, 4 * seed + 4)]
    assert sum(share >= 0.7 for share in shares) >= 3, shares


def test_critic_rates_a_held_out_liked_loop_above_a_disliked_one(seed):
    """After 40 ratings (8 likes) of house grooves judged on the audio, the Bayesian critic's P(like) for unseen
    liked loops is above that for unseen disliked ones."""
    kit = synth_kit(44100)
    rng = np.random.default_rng(seed)
    loops = sample_prior(260, rng)
    liked = np.array([AUDIO_TASTES["house_groove"].likes(hear(render(p, kit), 44100, 120.0)) for p in loops])
    pos, neg = rng.permutation(np.flatnonzero(liked)), rng.permutation(np.flatnonzero(~liked))
    train = np.concatenate([pos[:8], neg[:32]])
    ears = ears_for((synth_kit(16000),), 16, 120.0, 0.0, LearnerConfig().rbf_features, LearnerConfig().rbf_scale)
    critic = BayesLogistic(ears.prior_var(LearnerConfig().prior_var, LearnerConfig().rbf_var), bias_mean=-1.5)
    critic.fit(ears(loops[train], np.zeros(len(train), int)), liked[train].astype(float))
    p_pos = critic.predict(ears(loops[pos[8:]], np.zeros(len(pos) - 8, int)))[0]
    p_neg = critic.predict(ears(loops[neg[32:]], np.zeros(len(neg) - 32, int)))[0]
    auc = (p_pos[:, None] > p_neg[None, :]).mean()  # P(a held-out liked loop is rated above a disliked one)
    assert p_pos.mean() > p_neg.mean() and auc > 0.65, (p_pos.mean(), p_neg.mean(), auc)


def test_proposals_name_one_of_the_sessions_kits_and_follow_a_liked_kit():
    """With several kits, the kit is part of a proposal; likes given only on one kit pull proposals to it."""
    from recommender.drums.kit import Kit

    base = synth_kit(16000)
    dark = Kit("dark", 16000, {name: np.convolve(v, np.ones(8) / 8, mode="same") for name, v in base.samples.items()})
    rng = np.random.default_rng(0)
    loops = sample_prior(24, rng)
    kit_idx = np.arange(24) % 2
    labels = (kit_idx == 1).astype(np.float32)  # every loop on the dark kit liked, none on the other
    picks = [propose(loops, labels, loops[-3:], rng=rng, kits=[base, dark], rated_kits=kit_idx).kit for _ in range(6)]
    assert set(picks) <= {0, 1} and sum(picks) >= 5, picks
