"""Where the learner searches: which liked loops are credible, how far from them to go, and the local search.

A like is worth searching around while the ratings near it say so (:func:`credit`); variations are played within
a trust region around it that grows as likes near it confirm it (:func:`trust_radii`); the local search edits the
drawn critic's best variations within those regions (:func:`local_search`). Loops are ``(n, I, S)`` velocity grids;
distances are in hits (:func:`recommender.drums.patterns.hamming`); ``cfg`` is a
:class:`recommender.drums.learner.LearnerConfig`.
"""

from __future__ import annotations

import numpy as np

from recommender.drums.bayes import BayesLogistic
from recommender.drums.patterns import hamming


def edit(patterns: np.ndarray, rng: np.random.Generator, n_edits: np.ndarray | int = 1) -> np.ndarray:
    """Small edits that keep a loop's busyness: each edit removes one hit or adds one, with even odds.

    (Toggling every cell at a fixed rate mostly adds hits, since most cells are empty; repeated, that drifts
    towards busy loops.) ``patterns`` ``(n, I, S)``; ``n_edits`` per loop.
    """
    out = np.array(patterns, dtype=np.float32, copy=True)
    n = len(out)
    flat = out.reshape(n, -1)
    n_edits = np.broadcast_to(np.asarray(n_edits), (n,))
    for r in range(int(n_edits.max(initial=0))):
        active = n_edits > r
        hits = flat > 0
        remove = active & (rng.random(n) < 0.5) & hits.any(1)
        add = active & ~remove & (~hits).any(1)
        noise = rng.random(flat.shape)
        rows = np.arange(n)
        flat[rows[remove], np.argmax(np.where(hits, noise, -1.0), axis=1)[remove]] = 0.0
        cells = np.argmax(np.where(~hits, noise, -1.0), axis=1)
        flat[rows[add], cells[add]] = rng.uniform(0.5, 1.0, size=int(add.sum()))
    return out


def credit(critic: BayesLogistic, x_rated, rated, labels, cfg, rng: np.random.Generator | None = None) -> np.ndarray:
    """How credible each liked loop is as a place to search, ``(n_liked,)``.

    ``neighbourhood``: the like-rate of the ratings within ``neighbourhood`` hits of it, with one like and one
    dislike of prior weight; ``posterior``: the critic's P(like) for it, which has weighed that like against the
    dislikes of similar-sounding loops (a like given by mistake stops being searched around once the loops played
    near it are disliked; a true like keeps its credit when a variation is disliked for what the edit changed).
    """
    liked = labels > 0.5
    if not liked.any():
        return np.zeros(0)
    posterior = critic.predict(x_rated[liked])[0]
    if cfg.credit == "posterior":
        return posterior
    dist = hamming(rated[liked], rated)
    near = dist <= cfg.neighbourhood
    if cfg.credit_scope == "cluster":
        near = cluster_evidence(near[:, liked], near)
    a, b = cfg.credit_prior
    weight = near.astype(np.float64)
    if cfg.confirm != "off":
        # A disliked loop within one hit (a confirming probe) is sharp evidence against the like: it counts more.
        # (A liked one counts once: it is most often the like's twin, and 1 in 10 slips is liked again.)
        probe = near & (dist <= 1) & (dist > 0) & (labels[None, :] <= 0.5)
        weight = np.where(probe, cfg.confirm_weight, weight)
    likes, n = (weight * labels[None, :]).sum(1), weight.sum(1)
    # With ``credit_draw``, Thompson over the liked loops: a like that lost its credit to a few unlucky variations
    # is still tried now and then, a slip among many dislikes almost never.
    draw = cfg.credit_draw and rng is not None
    rate = rng.beta(likes + a, n - likes + b) if draw else (likes + a) / (n + a + b)
    return np.minimum(rate, posterior) if cfg.credit == "both" else rate


def is_fresh_like(rated: np.ndarray, labels: np.ndarray, neighbourhood: int) -> bool:
    """Whether the last rating is a like with no other rating within ``neighbourhood`` hits (one not yet tested)."""
    if not len(labels) or labels[-1] <= 0.5:
        return False
    return len(rated) == 1 or bool((hamming(rated[-1:], rated[:-1]) > neighbourhood).all())


def confirm_probe(pattern: np.ndarray, kit: int, ears, recent: np.ndarray) -> np.ndarray | None:
    """The one-hit edit of ``pattern`` ``(I, S)`` (a hit added at velocity 0.8 or removed) whose heard features
    (onsets heard per band and step, their counts per metrical level, loudness, brightness, sustain, standardised)
    change least: the closest thing in sound to a loop, short of playing it again. None if every edit was played
    among ``recent``."""
    n_inst, n_steps = pattern.shape
    cells = np.arange(n_inst * n_steps)
    edits = np.repeat(pattern[None], len(cells), axis=0).reshape(len(cells), -1)
    edits[cells, cells] = np.where(edits[cells, cells] > 0, 0.0, 0.8)
    edits = edits.reshape(-1, n_inst, n_steps)
    cols = np.flatnonzero(np.isin(ears.groups, ["heard", "summary", "metre"]))
    kits = np.full(len(edits) + 1, kit)
    z = ears(np.concatenate([pattern[None], edits]), kits)[:, cols]
    change = ((z[1:] - z[:1]) ** 2).sum(1)
    if len(recent):
        change[hamming(edits, recent).min(axis=1) == 0] = np.inf
    best = int(np.argmin(change))
    return edits[best] if np.isfinite(change[best]) else None


def cluster_evidence(linked: np.ndarray, near: np.ndarray) -> np.ndarray:
    """Each liked loop's evidence widened to its cluster: the liked loops linked through chains of neighbours
    (``linked`` ``(k, k)``), and every rating near any of them (``near`` ``(k, n)``) → ``(k, n)`` bool.

    Several likes close together (slips among the dislikes of a region the taste does not reach, 10 % of the
    answers) otherwise each count the others' likes and only their own few neighbours' dislikes.
    """
    reach = linked | np.eye(len(linked), dtype=bool)
    for _ in range(len(reach)):
        grown = (reach.astype(np.int32) @ reach.astype(np.int32)) > 0
        if (grown == reach).all():
            break
        reach = grown
    return (reach.astype(np.int32) @ near.astype(np.int32)) > 0


def trust_radii(parents: np.ndarray, rated: np.ndarray, labels: np.ndarray, cfg) -> np.ndarray:
    """Hits from each parent ``(k,)`` within which variations are played: ``trust_start`` around a fresh like,
    ``trust_grow`` more for every other like near it, up to ``trust_radius`` (a trust region: a fresh like is
    tested with close variations, which a real like mostly keeps and a slip mostly does not)."""
    near = hamming(parents, rated) <= cfg.neighbourhood
    confirmed = np.maximum((near * labels[None, :]).sum(1) - 1, 0)
    return np.minimum(cfg.trust_start + cfg.trust_grow * confirmed, cfg.trust_radius).astype(np.float32)


def local_search(pool, pool_kits, x_pool, scores, source, theta, ears, recent, anchors, radii, rng, cfg):
    """Edit the drawn critic's best variations and add the children to the pool, ``search_rounds`` times; the
    children stay within ``trust_radius`` hits of one of the ``anchors`` (the credibly liked loops)."""
    for _ in range(cfg.search_rounds):
        near = np.flatnonzero(source != "prior")  # around what was liked, not the prior's extremes
        top = near[np.argsort(scores[near])[-cfg.search_parents :]]
        parents = np.repeat(top, cfg.search_children)
        children = edit(pool[parents], rng, rng.integers(1, cfg.max_edits + 1, size=len(parents)))
        kids_kits = pool_kits[parents]
        ok = (hamming(children, anchors) <= radii[None, :]).any(axis=1)
        if len(recent):
            ok &= hamming(children, recent[-cfg.recent :]).min(axis=1) >= cfg.min_distance
        children, kids_kits = children[ok], kids_kits[ok]
        if not len(children):
            break
        x_kids = ears(children, kids_kits)
        pool = np.concatenate([pool, children])
        pool_kits = np.concatenate([pool_kits, kids_kits])
        x_pool = np.concatenate([x_pool, x_kids])
        scores = np.concatenate([scores, BayesLogistic.score(x_kids, theta)[0]])
        source = np.concatenate([source, np.full(len(children), "search", dtype=object)])
    return pool, pool_kits, x_pool, scores, source
