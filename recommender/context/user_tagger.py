"""P(context | track, user): a global tagger on audio features plus what each user's feedback teaches.

``logit(u, t, c) = w_c · x_t + b_c + a_uc + e_u · (Q_c x_t)``: the global part (``w``, ``b``) serves users with
no history (cold users) and tracks nobody has heard in that context (cold tracks: ``x_t`` comes from the audio,
so the global part still knows them); a user's bias ``a_u`` and embedding ``e_u`` are learned from their own
feedback only, so one user's listening never moves another's predictions. Trained with weighted binary
cross-entropy; likes and plays are positives, skips negatives, and a few random tracks per positive are weak
negatives (implicit feedback).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from recommender.context.tags import CONTEXT_TAGS

ACTION_WEIGHTS = {"like": (1.0, 1.0), "play": (1.0, 0.5), "skip": (0.0, 1.0)}  # action -> (label, weight)


@dataclass
class Feedback:
    user: int
    track: int  # row in the feature matrix
    context: int  # index in CONTEXT_TAGS
    label: float  # 1 fits, 0 does not
    weight: float = 1.0


@dataclass
class UserContextModel:
    w: np.ndarray  # (C, F)
    b: np.ndarray  # (C,)
    q: np.ndarray  # (C, k, F)
    users: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)  # id -> (a (C,), e (k,))
    mean: np.ndarray | None = None  # feature standardisation
    std: np.ndarray | None = None
    version: int = 0

    def predict(self, x: np.ndarray, user: int | None = None) -> np.ndarray:
        """P(context) ``(n, C)`` for tracks with features ``x`` ``(n, F)``, for ``user`` (None: a cold user)."""
        z = (x - self.mean) / self.std
        logits = z @ self.w.T + self.b
        if user is not None and user in self.users:
            a, e = self.users[user]
            logits = logits + a + np.einsum("k,ckf,nf->nc", e, self.q, z)
        return 1 / (1 + np.exp(-logits))

    def save(self, path: str | Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        ids = np.array(sorted(self.users), dtype=np.int64)
        a = np.stack([self.users[i][0] for i in ids]) if len(ids) else np.zeros((0, len(self.b)))
        e = np.stack([self.users[i][1] for i in ids]) if len(ids) else np.zeros((0, self.q.shape[1]))
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, w=self.w, b=self.b, q=self.q, ids=ids, a=a, e=e, mean=self.mean, std=self.std,
                 version=self.version)  # fmt: skip
        tmp.replace(path)

    @classmethod
    def load(cls, path: str | Path) -> UserContextModel | None:
        path = Path(path)
        if not path.exists():
            return None
        d = np.load(path)
        users = {int(i): (d["a"][k], d["e"][k]) for k, i in enumerate(d["ids"])}
        return cls(d["w"], d["b"], d["q"], users, d["mean"], d["std"], int(d["version"]))


def fit(
    x: np.ndarray, feedback: list[Feedback], *, k: int = 4, epochs: int = 200, negatives: int = 2,
    l2_user: float = 1e-2, seed: int = 0, version: int = 1,
) -> UserContextModel:  # fmt: skip
    """Train on track features ``x`` ``(n_tracks, F)`` and feedback rows."""
    import torch

    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    n_ctx = len(CONTEXT_TAGS)
    rows = list(feedback)
    for f in feedback:  # implicit negatives: random tracks for each positive
        if f.label > 0:
            rows += [Feedback(f.user, int(t), f.context, 0.0, 0.2) for t in rng.integers(len(x), size=negatives)]
    user_ids = sorted({f.user for f in rows})
    uidx = {u: i for i, u in enumerate(user_ids)}
    mean, std = x.mean(0), x.std(0) + 1e-6
    z = torch.from_numpy(((x - mean) / std).astype(np.float32))
    t = torch.tensor([f.track for f in rows])
    c = torch.tensor([f.context for f in rows])
    u = torch.tensor([uidx[f.user] for f in rows])
    y = torch.tensor([f.label for f in rows], dtype=torch.float32)
    wt = torch.tensor([f.weight for f in rows], dtype=torch.float32)
    f_dim = x.shape[1]
    w = torch.zeros(n_ctx, f_dim, requires_grad=True)
    b = torch.zeros(n_ctx, requires_grad=True)
    q = (0.01 * torch.randn(n_ctx, k, f_dim)).requires_grad_()
    a = torch.zeros(len(user_ids), n_ctx, requires_grad=True)
    e = (0.01 * torch.randn(len(user_ids), k)).requires_grad_()
    opt = torch.optim.Adam([w, b, q, a, e], lr=0.03)
    for _ in range(epochs):
        opt.zero_grad()
        zt = z[t]
        logit = (w[c] * zt).sum(1) + b[c] + a[u, c] + (e[u] * torch.einsum("nkf,nf->nk", q[c], zt)).sum(1)
        loss = (wt * torch.nn.functional.binary_cross_entropy_with_logits(logit, y, reduction="none")).sum() / wt.sum()
        loss = loss + 1e-3 * (w**2).mean() + l2_user * ((a**2).mean() + (e**2).mean())
        loss.backward()
        opt.step()
    users = {uid: (a[i].detach().numpy().copy(), e[i].detach().numpy().copy()) for uid, i in uidx.items()}
    return UserContextModel(w.detach().numpy(), b.detach().numpy(), q.detach().numpy(), users, mean, std, version)
