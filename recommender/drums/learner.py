"""Choosing the next loop: a calibrated critic on what the loop sounds like, Thompson sampling, local search.

The rule, each step (``LearnerConfig(model="bayes")``, the default):
1. Critic: Bayesian logistic regression (:mod:`recommender.drums.bayes`) on what a listener hears — band-wise
   onsets on the 16th grid, their counts per metrical level, attack levels, density, syncopation, loudness,
   brightness, sustain (:mod:`recommender.drums.ears`) — beside the pattern grid, with answers expected to be
   slips at rate ``flip``. Its posterior is calibrated from a few labels.
2. Credit (:mod:`recommender.drums.search`): a liked loop is searched around while it stays credible
   (``credit``); until one is, the learner explores by kernel herding through the prior (``explore="design"``,
   ``design_rule="herd"``): of ``design_pool`` prior draws, the one where the prior's mass is high and the
   disliked loops that are not variations of a like are far, in prior quantiles of what is heard. It plays the
   prior's typical loops first and moves out to its rare corners as dislikes accumulate, leaving fewer gaps
   than prior draws. A like heard while exploring is tested first (``confirm="heard"``): the next loop is its
   one-hit edit that sounds most like it, and a dislike of that probe counts ``confirm_weight`` times against the
   like's credit (a slip is dropped after one rating, a true like mostly survives it).
3. Pool: ``pool_size`` candidates, from the prior and mutations and crossovers of the credibly liked loops;
   each candidate carries one of the session's kits (the kit's sound is part of the taste).
4. Choice: one weight vector is drawn from the posterior at a temperature that falls from ``temperature`` to
   ``final_temperature`` over ``horizon`` ratings (Thompson sampling early, the posterior mean late), while the
   share of variations in the pool rises to ``final_exploit_share``. A local search edits the best variations
   under that draw, staying within ``trust_radius`` hits of a liked loop, and the best candidate is played.
5. Candidates within ``min_distance`` hits of one of the last ``recent`` proposals are excluded.

Options measured against this rule and left off by default (docs/benchmarks.md, issue 14): exploring with plain
prior draws (``explore="prior"``, the rule until session 12), half by the farthest of 64 draws and half by prior
draws (``design_rule="farthest", design_share=0.5``, session 12), by strata of the prior (``explore="strata"``,
:mod:`recommender.drums.strata`), late caution (``lcb``), the RBF kernel on other feature groups (``rbf_groups``), a
lower credit threshold late (``final_min_credit``), credit over clusters of likes (``credit_scope``), drawn credit
(``credit_draw``), the farthest of several prior draws from what was played (``explore_pool``).

``model="ensemble"`` is the studio's first learner (an ensemble of small networks on the log-mel, retrained at
every rating, Thompson sampling over members; it alone imports torch); the benchmark compares the two.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from recommender.drums import features, search, strata
from recommender.drums.bayes import BayesLogistic
from recommender.drums.critic import CriticConfig, EnsembleCritic
from recommender.drums.ears import ears_for
from recommender.drums.kit import Kit, synth_kit
from recommender.drums.patterns import crossover, hamming, mutate, sample_prior
from recommender.drums.search import edit

LIKE, DISLIKE = 1.0, 0.0


@dataclass
class LearnerConfig:
    model: str = "bayes"  # or "ensemble": the first learner (networks on the log-mel)
    pool_size: int = 1000
    exploit_share: float = 0.5
    min_distance: int = 3
    recent: int = 10
    n_prior_anchors: int = 32
    selection: str = "thompson"  # or "ucb": mean + ucb_beta × std, or "mean"
    ucb_beta: float = 1.0
    mutation_rate: tuple[float, float] = (0.003, 0.03)  # first learner: per cell, ~0.4 to 4 toggled cells of 144
    max_edits: int = 3  # a variation adds or removes 1 to max_edits hits
    kit_switch: float = 0.1  # chance that a variation of a liked loop is played on another of the session's kits
    search_rounds: int = 2  # local search: rounds of editing the best variations under the drawn critic
    trust_radius: int = 6  # hits: the local search stays this close to a credibly liked loop (unbounded, climbing
    # a draw from few ratings drifted away from what was liked, docs/benchmarks.md)
    trust_start: int = 6  # hits: the trust region around a fresh like (grows by ``trust_grow`` per like near it)
    trust_grow: int = 2
    horizon: int = 30  # ratings over which the schedule moves from exploring to exploiting
    final_temperature: float = 0.0  # Thompson temperature after ``horizon`` ratings (0: the posterior mean)
    final_exploit_share: float = 0.9  # share of the pool that varies liked loops after ``horizon`` ratings
    credit: str = "both"  # "neighbourhood": the like-rate around a liked loop; "posterior": the critic's P(like) for
    # it; "both": the lower of the two
    credit_scope: str = "loop"  # "loop": the ratings near each liked loop; "cluster": near any liked loop of its
    # cluster (liked loops linked through neighbours)
    credit_draw: bool = False  # the neighbourhood's like-rate drawn from its Beta posterior instead of its mean
    credit_prior: tuple[float, float] = (1.0, 3.0)  # likes and dislikes of prior weight in a neighbourhood
    confirm: str = "heard"  # right after a fresh like (no other rating within ``neighbourhood`` hits), play its
    # one-hit edit that changes what is heard least (:func:`recommender.drums.search.confirm_probe`); "off": don't
    confirm_weight: float = 3.0  # a disliked loop within one hit of a liked one counts this many times in its credit
    group_shares: dict[str, float] = field(default_factory=dict)  # prior variance per feature group (default 1)
    explore_pool: int = 1  # before a credible like: the farthest of this many prior draws from what was played (1: a
    # plain prior draw; the farthest of 3 leans to atypical loops and found typical tastes later, docs/benchmarks.md)
    explore: str = "design"  # before a credible like: "design": ``design_share`` of the steps walk (of
    # ``design_pool`` prior draws, the one ``design_rule`` ranks first, in prior quantiles of what is heard), the
    # others are prior draws; "prior": prior draws only; or "strata": a prior loop from the stratum (equal prior
    # mass, :mod:`recommender.drums.strata`) that ``strata_rule`` ranks first
    design_pool: int = 64
    design_share: float = 1.0  # share of exploring steps that walk; the others are plain prior draws
    design_rule: str = "herd"  # "farthest": the draw farthest from the disliked loops; "herd": kernel herding,
    # the draw where the prior's mass (a Gaussian kernel density) minus ``design_repulsion`` × the kernel's mean
    # over the disliked loops is highest: typical loops first (a common taste lives there), then the rare corners
    design_scale: float = 0.4  # the herding kernel's width, relative to the median distance between prior loops
    design_repulsion: float = 3.0
    strata_depth: int = 5  # 2^depth strata
    strata_rule: str = "least"  # "least": fewest rated loops; "beta": highest like-rate drawn from its posterior
    strata_pool: int = 256  # fresh prior draws among which a loop of the chosen stratum is found
    lcb: float = 0.0  # late caution: the top candidates are re-ranked by their logit minus ``lcb`` × its posterior
    # std, scaled up from 0 to ``lcb`` over ``horizon`` ratings (the last ratings should be sure likes)
    flip: float = 0.1  # the critic expects this share of answers to be slips
    neighbourhood: int = 6  # hits: ratings this close to a liked loop say whether searching around it pays
    min_credit: float = 0.3  # search around liked loops whose neighbourhood like-rate is at least this
    final_min_credit: float | None = None  # the threshold after ``horizon`` ratings (None: ``min_credit``): late in
    # a session, a like that lost credit may still be the best bet there is, better than a prior draw
    temperature: float = 0.5  # Thompson draws at this fraction of the posterior's spread
    search_parents: int = 16
    search_children: int = 16
    prior_var: float = 4.0  # prior variance of the logit's linear part, shared out over the feature groups
    rbf_var: float = 4.0  # prior variance of its smooth part (an RBF kernel on what is heard, as random features)
    rbf_features: int = 400
    rbf_scale: float = 0.5  # length scale, relative to the median distance between prior loops
    rbf_groups: tuple[str, ...] = ("heard", "summary", "kit")  # the feature groups the RBF kernel reads
    bias_mean: float = -1.5  # a random loop is more likely disliked than liked
    critic: CriticConfig = field(default_factory=CriticConfig)


@dataclass
class Proposal:
    pattern: np.ndarray  # (I, S)
    p_like: float  # the critic's P(like), averaged over its uncertainty
    uncertainty: float  # the standard deviation of P(like) under the critic's uncertainty
    source: str  # "prior", "variation" or "search"
    seconds: float  # time taken to choose it
    kit: int = 0  # index into the session's kits


def featurize(patterns: np.ndarray, atom_bank: np.ndarray) -> np.ndarray:
    """The first learner's critic input: log-mel beside the velocity grid, ``(n, N_MELS*frames + I*S)``."""
    mel = features.log_mel(patterns, atom_bank).reshape(len(patterns), -1)
    return np.concatenate([mel, patterns.reshape(len(patterns), -1)], axis=1).astype(np.float32)


def candidate_pool(
    liked: np.ndarray,
    rng: np.random.Generator,
    cfg: LearnerConfig,
    n_steps: int,
    liked_kits: np.ndarray | None = None,
    n_kits: int = 1,
    parent_weights: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(pool (n, I, S), is_variation (n,), kit index (n,))``; ``parent_weights`` (default: recent likes a
    little more often) say how often each liked loop is a parent."""
    n_var = int(cfg.pool_size * cfg.exploit_share) if len(liked) else 0
    prior = sample_prior(cfg.pool_size - n_var, rng, steps=n_steps)
    prior_kits = rng.integers(n_kits, size=len(prior))
    if not n_var:
        return prior, np.zeros(len(prior), dtype=bool), prior_kits
    liked_kits = np.zeros(len(liked), dtype=int) if liked_kits is None else liked_kits
    weights = np.linspace(0.5, 1.0, len(liked)) if parent_weights is None else np.asarray(parent_weights, float)
    weights = weights / weights.sum()
    pick = rng.choice(len(liked), size=n_var, p=weights)
    parents, kits = liked[pick], liked_kits[pick]
    n_cross = n_var // 4 if len(liked) > 1 else 0
    others = liked[rng.choice(len(liked), size=n_cross)]
    children = np.concatenate([crossover(parents[:n_cross], others, rng), parents[n_cross:]])
    if cfg.model == "bayes":
        variations = edit(children, rng, rng.integers(1, cfg.max_edits + 1, size=n_var))
    else:
        variations = mutate(children, rng, rate=rng.uniform(*cfg.mutation_rate, size=n_var))
    switch = rng.random(n_var) < cfg.kit_switch
    kits = np.where(switch, rng.integers(n_kits, size=n_var), kits)
    pool = np.concatenate([prior, variations])
    return pool, np.arange(len(pool)) >= len(prior), np.concatenate([prior_kits, kits])


def propose(
    rated: np.ndarray,
    labels: np.ndarray,
    recent: np.ndarray,
    *,
    rng: np.random.Generator,
    kit: Kit | None = None,
    kits: Sequence[Kit] | None = None,
    rated_kits: np.ndarray | None = None,
    tempo: float = 120.0,
    swing: float = 0.0,
    n_steps: int = 16,
    config: LearnerConfig | None = None,
) -> Proposal:
    """Choose the next loop for a listener.

    ``rated``: ``(n, I, S)`` loops rated like/dislike; ``labels``: ``(n,)`` 1.0 = like, 0.0 = dislike;
    ``recent``: ``(m, I, S)`` the latest proposals (rated or not), to avoid near-duplicates.
    ``kits``: the session's kits (default: ``[kit]``, the built-in kit); ``rated_kits``: ``(n,)`` the kit index
    each rated loop was played on. The proposal says which kit to play it on.
    """
    t0 = time.perf_counter()
    cfg = config or LearnerConfig()
    kits = list(kits) if kits else [kit or synth_kit(features.FEATURE_SR)]
    keep = slice(-cfg.critic.max_history, None)
    rated, labels = rated[keep], np.asarray(labels, dtype=np.float32)[keep]
    rated_kits = np.zeros(len(rated), dtype=int) if rated_kits is None else np.asarray(rated_kits, dtype=int)[keep]
    liked = labels > 0.5
    pool, is_var, pool_kits = candidate_pool(rated[liked], rng, cfg, n_steps, rated_kits[liked], len(kits))
    if len(recent):
        far = hamming(pool, recent[-cfg.recent :]).min(axis=1) >= cfg.min_distance
        if far.any():
            pool, is_var, pool_kits = pool[far], is_var[far], pool_kits[far]
    if len(rated) == 0:
        i = int(rng.integers(len(pool)))  # cold start: a draw from the prior
        return Proposal(pool[i], 0.5, 0.0, "prior", time.perf_counter() - t0, int(pool_kits[i]))
    if cfg.model == "ensemble":
        return _propose_ensemble(rated, labels, pool, is_var, rng, kits[0], tempo, swing, n_steps, cfg, t0)
    if cfg.model != "bayes":
        raise ValueError(f"unknown model {cfg.model!r}")
    return _propose_bayes(rated, labels, rated_kits, recent, rng, kits, tempo, swing, n_steps, cfg, t0)


def _schedule(cfg: LearnerConfig, n_rated: int) -> tuple[float, float]:
    """Thompson temperature and exploit share after ``n_rated`` ratings: explore early, exploit late."""
    progress = min(1.0, n_rated / cfg.horizon) if cfg.horizon > 0 else 1.0
    temperature = cfg.temperature + (cfg.final_temperature - cfg.temperature) * progress
    return temperature, cfg.exploit_share + (cfg.final_exploit_share - cfg.exploit_share) * progress


def _min_credit(cfg: LearnerConfig, n_rated: int) -> float:
    """The credit a liked loop needs to be searched around after ``n_rated`` ratings."""
    late = cfg.final_min_credit is not None and n_rated >= cfg.horizon
    return float(cfg.final_min_credit) if late else cfg.min_credit


def _propose_bayes(rated, labels, rated_kits, recent, rng, kits, tempo, swing, n_steps, cfg, t0) -> Proposal:
    key = (round(float(tempo), 2), round(float(swing), 3), cfg.rbf_features, cfg.rbf_scale, tuple(cfg.rbf_groups))
    ears = ears_for(tuple(kits), n_steps, *key)
    x_rated = ears(rated, rated_kits)
    prior_var = ears.prior_var(cfg.prior_var, cfg.rbf_var, cfg.group_shares)
    critic = BayesLogistic(prior_var, bias_mean=cfg.bias_mean, flip=cfg.flip)
    critic.fit(x_rated, labels)
    liked = labels > 0.5
    if cfg.confirm == "heard" and search.is_fresh_like(rated, labels, cfg.neighbourhood):
        # A like heard while exploring is as likely a slip as a true like when the taste is rare. Its closest
        # variation in sound tells them apart in one rating: a true like survives it ~93 % of the time (a random
        # 3-hit edit ~49 %), a slip's variation is as disliked as the slip.
        probe = search.confirm_probe(rated[-1], int(rated_kits[-1]), ears, recent[-cfg.recent :])
        if probe is not None:
            kit_idx = np.array([rated_kits[-1]])
            return _proposal(critic, probe[None], kit_idx, ears(probe[None], kit_idx), 0, "confirm", rng, t0)
    credit = search.credit(critic, x_rated, rated, labels, cfg, rng)
    min_credit = _min_credit(cfg, len(rated))
    if not (credit >= min_credit).any():
        # Nothing (credibly) liked yet: dislikes say where the taste is not, not where it is. Walk on through the
        # space of the prior, away from what was disliked, or play a prior draw (or one from a stratum of the
        # prior that the fewest rated loops fell in).
        if cfg.explore == "strata":
            return _explore_strata(critic, ears, x_rated, labels, recent, rng, len(kits), n_steps, cfg, t0)
        if cfg.explore == "design" and rng.random() < cfg.design_share:
            return _explore_design(critic, ears, rated, labels, rated_kits, recent, rng, len(kits), n_steps, cfg, t0)
        pool = sample_prior(cfg.explore_pool, rng, steps=n_steps)
        pool_kits = rng.integers(len(kits), size=len(pool))
        x_pool = ears(pool, pool_kits)
        heard = ears.smooth
        dist = ((x_pool[:, None, heard] - x_rated[None, :, heard]) ** 2).sum(-1).min(axis=1)
        if len(recent):
            dist[hamming(pool, recent[-cfg.recent :]).min(axis=1) < cfg.min_distance] = -1.0
        return _proposal(critic, pool, pool_kits, x_pool, int(np.argmax(dist)), "prior", rng, t0)
    keep = credit >= min_credit
    temperature, exploit = _schedule(cfg, len(rated))
    parents, parent_kits = rated[liked][keep], rated_kits[liked][keep]
    pool, is_var, pool_kits = candidate_pool(
        parents, rng, replace(cfg, exploit_share=exploit), n_steps, parent_kits, len(kits), parent_weights=credit[keep]
    )
    if len(recent):
        far = hamming(pool, recent[-cfg.recent :]).min(axis=1) >= cfg.min_distance
        if far.any():
            pool, is_var, pool_kits = pool[far], is_var[far], pool_kits[far]
    theta = critic.sample(rng)
    theta = critic.mean + temperature * (theta - critic.mean)  # tempered Thompson sampling
    source = np.where(is_var, "variation", "prior").astype(object)
    x_pool = ears(pool, pool_kits)
    scores = BayesLogistic.score(x_pool, theta)[0]
    radii = search.trust_radii(parents, rated, labels, cfg)
    if cfg.trust_start < cfg.trust_radius:  # variations outside every parent's trust region are not played
        outside = (hamming(pool, parents) > radii[None, :]).all(axis=1) & (source != "prior")
        scores = np.where(outside, -np.inf, scores)
    pool, pool_kits, x_pool, scores, source = search.local_search(
        pool, pool_kits, x_pool, scores, source, theta, ears, recent, parents, radii, rng, cfg
    )
    best = int(np.argmax(scores))
    if cfg.lcb > 0:
        best = _cautious(critic, x_pool, scores, cfg.lcb * min(1.0, len(rated) / max(cfg.horizon, 1)))
    return _proposal(critic, pool, pool_kits, x_pool, best, str(source[best]), rng, t0)


def _cautious(critic: BayesLogistic, x_pool: np.ndarray, scores: np.ndarray, weight: float, top: int = 64) -> int:
    """The candidate among the ``top`` best-scored whose score minus ``weight`` × its logit's std is highest."""
    cand = np.argsort(scores)[-top:]
    cand = cand[np.isfinite(scores[cand])]
    if not len(cand):
        return int(np.argmax(scores))
    return int(cand[np.argmax(scores[cand] - weight * critic.predict(x_pool[cand])[1])])


def _covered(rated: np.ndarray, labels: np.ndarray, cfg: LearnerConfig) -> np.ndarray:
    """The rated loops a space-filling walk should move away from, ``(n,)`` bool: the disliked ones, except those
    within ``neighbourhood`` hits of a like. A like whose variations were disliked lost its credit, but the taste
    may still live there (a strict one breaks under most edits): the walk must not shun that place, as prior
    draws do not."""
    disliked = labels <= 0.5
    if not (~disliked).any():
        return disliked
    near_like = (hamming(rated, rated[~disliked]) <= cfg.neighbourhood).any(axis=1)
    return disliked & ~near_like


def _explore_design(critic, ears, rated, labels, rated_kits, recent, rng, n_kits, n_steps, cfg, t0) -> Proposal:
    """Of ``design_pool`` fresh prior draws, the one that best fills the space of what is heard (each feature as
    its prior quantile, :meth:`Ears.design`) away from the loops :func:`_covered` names: by kernel herding
    (``design_rule="herd"``, :func:`_herding_gain`) or the farthest draw (``"farthest"``). Measured offline on 50
    audio tastes (docs/benchmarks.md, issue 14), 30 exploring steps miss a rare taste (base rate 2–6.5 %) 14 % of
    the time by herding, 16 % by the farthest draw, 30 % by prior draws; the farthest draw shuns the prior's crowded
    middle (house_groove missed 9 % of the time, by herding 1 %, by prior draws 3 %)."""
    pool = sample_prior(cfg.design_pool, rng, steps=n_steps)
    pool_kits = rng.integers(n_kits, size=len(pool))
    covered = _covered(rated, labels, cfg)
    q_pool = ears.design(pool, pool_kits)
    q_rated = ears.design(rated[covered], rated_kits[covered]) if covered.any() else q_pool[:0]
    if cfg.design_rule == "herd":
        dist = _herding_gain(q_pool, q_rated, ears.design_reference(), cfg, ears.design_spread)
    elif covered.any():
        dist = np.sqrt(((q_pool[:, None, :] - q_rated[None, :, :]) ** 2).sum(-1)).min(axis=1)
    else:
        dist = np.zeros(len(pool))
    if len(recent):
        dist[hamming(pool, recent[-cfg.recent :]).min(axis=1) < cfg.min_distance] = -1.0
    i = int(np.argmax(dist))
    return _proposal(critic, pool[i : i + 1], pool_kits[i : i + 1], ears(pool[i : i + 1], pool_kits[i : i + 1]), 0,
                     "prior", rng, t0)  # fmt: skip


def _herding_gain(
    q_pool: np.ndarray, q_done: np.ndarray, q_ref: np.ndarray, cfg: LearnerConfig, spread: float
) -> np.ndarray:
    """Kernel herding's score per candidate, ``(n,)``: the prior's density there (a Gaussian kernel's mean over
    the reference loops ``q_ref``) minus ``design_repulsion`` times the kernel's mean over the explored loops
    ``q_done`` (Chen, Welling & Smola 2010, with the mean over ``len(q_done) + 1``); the kernel's width is
    ``design_scale`` × ``spread``. With repulsion 1, herded samples follow the prior's mass with fewer gaps than
    independent draws; 3 (the default) moves them out to the rare corners sooner once the typical loops were
    disliked (offline, rare tastes missed 14 % against 26 %)."""
    scale2 = 2.0 * (cfg.design_scale * spread) ** 2

    def kernel(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        a, b = a.astype(np.float64), b.astype(np.float64)
        d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
        return np.exp(-np.maximum(d2, 0.0) / scale2)

    density = kernel(q_pool, q_ref).mean(axis=1)
    if not len(q_done):
        return density
    return density - cfg.design_repulsion * kernel(q_pool, q_done).sum(axis=1) / (len(q_done) + 1)


def _explore_strata(critic, ears, x_rated, labels, recent, rng, n_kits, n_steps, cfg, t0) -> Proposal:
    """A prior loop from the stratum ranked first by ``cfg.strata_rule`` among fresh prior draws (ties: random)."""
    cut, cols = strata.strata_for(ears, cfg.strata_depth)
    scores = strata.stratum_scores(
        cut.assign(x_rated[:, cols]), labels, cut.n, rng, rule=cfg.strata_rule, flip=cfg.flip
    )
    pool = sample_prior(cfg.strata_pool, rng, steps=n_steps)
    pool_kits = rng.integers(n_kits, size=len(pool))
    x_pool = ears(pool, pool_kits)
    value = scores[cut.assign(x_pool[:, cols])] + 1e-9 * rng.random(len(pool))
    if len(recent):
        value[hamming(pool, recent[-cfg.recent :]).min(axis=1) < cfg.min_distance] = -np.inf
    return _proposal(critic, pool, pool_kits, x_pool, int(np.argmax(value)), "prior", rng, t0)


def _proposal(critic, pool, pool_kits, x_pool, i, source, rng, t0) -> Proposal:
    p_like, _ = critic.predict(x_pool[i : i + 1])
    spread = 1 / (1 + np.exp(-BayesLogistic.score(x_pool[i : i + 1], critic.sample(rng, 32))))
    return Proposal(pool[i], float(p_like[0]), float(spread.std()), source, time.perf_counter() - t0, int(pool_kits[i]))


def _propose_ensemble(rated, labels, pool, is_var, rng, kit, tempo, swing, n_steps, cfg, t0) -> Proposal:
    """The first learner: an ensemble of small networks on the log-mel, retrained from scratch at every rating."""
    _torch_threads()
    atom_bank = features.atoms(kit, n_steps=n_steps, tempo=tempo, swing=swing)
    x_pool = featurize(pool, atom_bank)
    anchors = sample_prior(cfg.n_prior_anchors, rng, steps=n_steps)
    x_train = np.concatenate([featurize(rated, atom_bank), featurize(anchors, atom_bank)])
    y = np.concatenate([labels, np.full(len(anchors), 0.5, dtype=np.float32)])
    w = np.concatenate([np.ones(len(labels)), np.full(len(anchors), cfg.critic.prior_weight)])
    critic = EnsembleCritic(x_pool.shape[1], cfg.critic, seed=int(rng.integers(2**31)))
    critic.fit(x_train, y, w, reference=x_pool)
    probs = critic.predict(x_pool)  # (members, n)
    i = int(np.argmax(acquisition(probs, cfg, rng)))
    return Proposal(
        pool[i], float(probs[:, i].mean()), float(probs[:, i].std()),
        "variation" if is_var[i] else "prior", time.perf_counter() - t0,
    )  # fmt: skip


def acquisition(probs: np.ndarray, cfg: LearnerConfig, rng: np.random.Generator) -> np.ndarray:
    """The first learner's score per candidate from the ensemble's ``(members, n)`` P(like): the selection rule."""
    if cfg.selection == "thompson":
        return probs[int(rng.integers(probs.shape[0]))]
    if cfg.selection == "ucb":
        return probs.mean(0) + cfg.ucb_beta * probs.std(0)
    if cfg.selection == "mean":
        return probs.mean(0)
    raise ValueError(f"unknown selection rule {cfg.selection!r}")


def configure_torch(threads: int = 1) -> None:
    """Tiny models run fastest single-threaded, and a web process must not take every core.

    torch is not imported here: the default (Bayesian) learner never needs it, so a web process serving its
    sessions does not load it. The thread count is set now if torch is already loaded, else when the
    ensemble critic first loads it (:func:`_torch_threads`).
    """
    global _TORCH_THREADS
    _TORCH_THREADS = int(threads)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(_TORCH_THREADS)


_TORCH_THREADS: int | None = None


def _torch_threads() -> None:
    """Apply :func:`configure_torch`'s thread count once the ensemble critic has loaded torch."""
    if _TORCH_THREADS is not None:
        import torch

        torch.set_num_threads(_TORCH_THREADS)
