"""Simulated listeners with known situation habits and context tastes, to evaluate the context models.

Each track fits each context to a degree given by its audio features (a hidden direction per context).
Each user has a few routines — a device, an hour window, weekdays or weekends, and the context they are in
then — and their own taste within each context (a personal tilt of that direction). Sessions are drawn from
the routines; in a session the user hears tracks and likes the ones that fit their taste in that context,
skips the others, and names the context explicitly some of the time.

``evaluate`` trains the situation model and the user-aware tagger on part of the log and reports, on held-out
sessions: situation accuracy@1/@3, and precision@10 of the situational playlist against a context-agnostic
popularity baseline (most-liked tracks first), separately for warm users, cold users (no history at all) and
cold tracks (tracks nobody gave feedback on).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from recommender.context import playlist, situation, user_tagger
from recommender.context.situation import DEVICES, Situation
from recommender.context.tags import CONTEXT_TAGS

ROUTINES = [  # (context, device, start hour, end hour, weekend?)
    ("commute", "mobile", 7.0, 9.0, False), ("commute", "car", 17.0, 19.0, False),
    ("focus", "desktop", 9.0, 12.0, False), ("focus", "desktop", 14.0, 17.0, False),
    ("workout", "mobile", 18.0, 20.0, False), ("running", "mobile", 6.5, 8.0, True),
    ("party", "speaker", 21.0, 24.0, True), ("dance", "speaker", 20.0, 23.0, True),
    ("relax", "tv", 20.0, 22.5, False), ("sleep", "mobile", 22.5, 24.0, False),
    ("morning", "speaker", 7.0, 9.5, True), ("happy", "desktop", 12.0, 13.5, False),
]  # fmt: skip


@dataclass
class World:
    features: np.ndarray  # (n_tracks, F) what the system sees of each track (its audio embedding)
    fit: np.ndarray  # (n_users, n_tracks, C) probability that the user likes the track in the context
    routines: list[list[int]]  # per user: indices into ROUTINES
    shift: np.ndarray  # (n_users,) hours: each user keeps their routines a little earlier or later
    rng: np.random.Generator

    def situation(self, user: int) -> tuple[Situation, int]:
        ctx, device, h0, h1, weekend = ROUTINES[self.rng.choice(self.routines[user])]
        if self.rng.random() < 0.1:  # habits are not rules
            device = str(self.rng.choice(DEVICES[:5]))
        day = int(self.rng.integers(5, 7)) if weekend else int(self.rng.integers(0, 5))
        hour = float(self.rng.uniform(h0, h1) + self.shift[user]) % 24
        when = datetime(2026, 11, 2) + timedelta(days=day, hours=hour)  # 2026-11-02 is a Monday
        return Situation(device, when), CONTEXT_TAGS.index(ctx)


def make_world(*, n_tracks: int = 400, n_users: int = 80, dim: int = 24, seed: int = 0) -> World:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_tracks, dim)).astype(np.float32)
    directions = rng.standard_normal((len(CONTEXT_TAGS), dim))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    tilt = rng.standard_normal((n_users, len(CONTEXT_TAGS), dim))
    tilt /= np.linalg.norm(tilt, axis=2, keepdims=True)
    taste = directions[None] + 0.7 * tilt  # each user's own idea of each context
    fit = 1 / (1 + np.exp(-(2.5 * np.einsum("ucf,tf->utc", taste, x) / np.sqrt(dim) * 2 - 1.0)))
    routines = [list(rng.choice(len(ROUTINES), size=int(rng.integers(2, 5)), replace=False)) for _ in range(n_users)]
    return World(x, fit, routines, rng.normal(0.0, 1.5, n_users), rng)


def simulate(world: World, users, tracks, sessions: int, *, heard: int = 6, explicit: float = 0.3):
    """Feedback rows and (user, situation, context) events from ``sessions`` sessions per user."""
    rows, events = [], []
    tracks = np.asarray(list(tracks))
    for u in users:
        for _ in range(sessions):
            s, ctx = world.situation(u)
            events.append((u, s, ctx, world.rng.random() < explicit))
            for t in world.rng.choice(tracks, size=heard, replace=False):
                liked = world.rng.random() < world.fit[u, t, ctx]
                rows.append((u, int(t), ctx, "like" if liked else "skip", events[-1][3]))
    return rows, events


def _precision(world: World, user: int, ctx: int, ranked: list[int]) -> float:
    return float(np.mean([world.fit[user, t, ctx] > 0.5 for t in ranked])) if ranked else 0.0


def evaluate(*, seed: int = 0, n_users: int = 80, n_tracks: int = 400, sessions: int = 30) -> dict:
    world = make_world(n_tracks=n_tracks, n_users=n_users, seed=seed)
    rng = np.random.default_rng(seed + 1)
    users = rng.permutation(n_users)
    cold_users = set(users[: n_users // 4].tolist())
    warm_users = [u for u in users if u not in cold_users]
    tracks = rng.permutation(n_tracks)
    cold_tracks = tracks[: n_tracks // 5]
    warm_tracks = tracks[n_tracks // 5 :]
    rows, events = simulate(world, warm_users, warm_tracks, sessions)
    # Situation model: explicit contexts are labels (implicit sessions would need the model's own guess).
    sit = situation.fit([(u, s, c) for u, s, c, explicit in events if explicit], seed=seed)
    feedback = []
    for u, t, c, action, explicit in rows:
        label, weight = user_tagger.ACTION_WEIGHTS[action]
        feedback.append(user_tagger.Feedback(int(u), t, c, label, weight if explicit else 0.5 * weight))
    tagger = user_tagger.fit(world.features, feedback, seed=seed)
    likes = np.zeros(n_tracks)
    for _, t, _, action, _ in rows:
        likes[t] += action == "like"
    popularity = likes + 1e-3 * rng.random(n_tracks)  # ties broken at random (cold tracks have no likes)

    def run(group_users, candidates, n_test: int = 8) -> dict:
        acc1 = acc3 = 0
        ours, pops, prior_ours = [], [], []
        n = 0
        candidates = np.asarray(candidates)
        for u in group_users:
            for _ in range(n_test):
                s, ctx = world.situation(u)
                p = sit.predict(s, int(u))
                top = np.argsort(-p)
                acc1 += top[0] == ctx
                acc3 += ctx in top[:3]
                probs = tagger.predict(world.features[candidates], int(u))
                ranked = playlist.diverse_order(playlist.scores(p, probs), world.features[candidates], 10)
                ours.append(_precision(world, u, ctx, [int(candidates[i]) for i in ranked]))
                pop_rank = candidates[np.argsort(-popularity[candidates])[:10]]
                pops.append(_precision(world, u, ctx, [int(t) for t in pop_rank]))
                truth_probs = tagger.predict(world.features[candidates], int(u))[:, ctx]
                prior_ours.append(
                    _precision(world, u, ctx, [int(candidates[i]) for i in np.argsort(-truth_probs)[:10]])
                )
                n += 1
        return {"situation_acc@1": acc1 / n, "situation_acc@3": acc3 / n, "playlist_p@10": float(np.mean(ours)),
                "popularity_p@10": float(np.mean(pops)), "known_context_p@10": float(np.mean(prior_ours)),
                "queries": n}  # fmt: skip

    return {
        "warm users": run(warm_users, warm_tracks),
        "cold users": run(sorted(cold_users), warm_tracks),
        "cold tracks": run(warm_users, cold_tracks),
        "setup": {
            "users": n_users,
            "tracks": n_tracks,
            "sessions_per_user": sessions,
            "feedback_rows": len(rows),
            "explicit_sessions": int(sum(e[3] for e in events)),
        },  # fmt: skip
    }


def format_table(results: dict) -> str:
    cols = ["situation_acc@1", "situation_acc@3", "playlist_p@10", "popularity_p@10", "known_context_p@10"]
    heads = ["sit acc@1", "sit acc@3", "playlist P@10", "popularity P@10", "oracle-ctx P@10"]
    rows = [f"{'group':<14}" + "".join(f"{h:>17}" for h in heads)]
    for group, r in results.items():
        if group == "setup":
            continue
        rows.append(f"{group:<14}" + "".join(f"{r[c]:>17.3f}" for c in cols))
    return "\n".join(rows)
