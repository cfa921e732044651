"""A learned context tagger: one logistic regression per tag on the audio embedding and the traits.

Trained from users' explicit labels (a tag added = positive, removed = negative). A tag is learned once
it has ``min_per_class`` positive and negative labels; the others keep the rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from recommender.context.tags import CONTEXT_TAGS, TrackTraits

N_TRAITS = 3  # the trailing columns of :func:`features`: tempo, loudness, mode


def trait_features(t: TrackTraits) -> np.ndarray:
    return np.array([t.tempo / 100 - 1.2, (t.loudness + 25) / 10, 1.0 if t.minor else -1.0], dtype=np.float32)


def features(embedding: np.ndarray, traits: TrackTraits) -> np.ndarray:
    return np.concatenate([np.asarray(embedding, dtype=np.float32), trait_features(traits)])


@dataclass
class LearnedTagger:
    weights: dict[str, np.ndarray] = field(default_factory=dict)  # tag -> (F + 1,) with bias last
    version: int = 0

    def predict(self, x: np.ndarray) -> dict[str, float]:
        """P(tag) for the learned tags only."""
        return {tag: float(1 / (1 + np.exp(-(x @ w[:-1] + w[-1])))) for tag, w in self.weights.items()}

    def save(self, path: str | Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, version=self.version, **{f"w_{k}": v for k, v in self.weights.items()})
        tmp.replace(path)

    @classmethod
    def load(cls, path: str | Path) -> LearnedTagger:
        path = Path(path)
        if not path.exists():
            return cls()
        data = np.load(path)
        return cls({k[2:]: data[k] for k in data.files if k.startswith("w_")}, int(data["version"]))


def fit_logistic(x: np.ndarray, y: np.ndarray, *, l2: float = 1.0, iters: int = 200) -> np.ndarray:
    """L2-regularised logistic regression by Newton's method; returns weights with the bias last."""
    xb = np.hstack([x, np.ones((len(x), 1), dtype=x.dtype)]).astype(np.float64)
    w = np.zeros(xb.shape[1])
    reg = l2 * np.eye(xb.shape[1])
    reg[-1, -1] = 0
    for _ in range(iters):
        p = 1 / (1 + np.exp(-xb @ w))
        grad = xb.T @ (p - y) + reg @ w
        hess = (xb * (p * (1 - p))[:, None]).T @ xb + reg
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-6:
            break
    return w.astype(np.float32)


def train_tagger(
    x: np.ndarray, tags: list[str], positive: np.ndarray, *, min_per_class: int = 5, version: int = 1
) -> LearnedTagger:
    """``x`` ``(n, F)`` features of labelled tracks, ``tags[i]`` the tag of label i, ``positive[i]`` its sign."""
    tagger = LearnedTagger(version=version)
    tags_arr = np.asarray(tags)
    for tag in CONTEXT_TAGS:
        mask = tags_arr == tag
        y = np.asarray(positive, dtype=np.float64)[mask]
        if (y == 1).sum() >= min_per_class and (y == 0).sum() >= min_per_class:
            tagger.weights[tag] = fit_logistic(x[mask], y)
    return tagger
