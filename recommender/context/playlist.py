"""A situational playlist: tracks that fit the inferred contexts for this user, skips pushed down, and no two
near-duplicates in a row."""

from __future__ import annotations

import numpy as np


def scores(context_probs: np.ndarray, track_probs: np.ndarray, *, skips: np.ndarray | None = None,
           skip_penalty: float = 0.5) -> np.ndarray:  # fmt: skip
    """``(n,)``: Σ_c P(c | situation) · P(c | track, user), times ``skip_penalty`` per skip of the track."""
    s = track_probs @ context_probs
    if skips is not None:
        s = s * skip_penalty ** np.asarray(skips, dtype=float)
    return s


def diverse_order(score: np.ndarray, embeddings: np.ndarray | None, k: int, *, duplicate: float = 0.95) -> list[int]:
    """The ``k`` best by ``score``, never placing a track right after one whose embedding cosine ≥ ``duplicate``."""
    order = list(np.argsort(-score, kind="stable"))
    if embeddings is None:
        return [int(i) for i in order[:k]]
    unit = embeddings / np.maximum(np.linalg.norm(embeddings, axis=1, keepdims=True), 1e-9)
    out: list[int] = []
    pool = order[: max(k * 4, k + 10)]
    while pool and len(out) < k:
        pick = next((i for i in pool if not out or unit[i] @ unit[out[-1]] < duplicate), None)
        if pick is None:  # only near-duplicates of the last one are left
            break
        out.append(int(pick))
        pool.remove(pick)
    return out
