"""P(context | track, user): a global tagger on audio features plus what each user's feedback teaches.

``logit(u, t, c) = w_c · x_t + b_c + a_uc + e_u · (Q_c x_t)``: the global part (``w``, ``b``) serves users with
no history (cold users) and tracks nobody has heard in that context (cold tracks: ``x_t`` comes from the audio,
so the global part still knows them); a user's bias ``a_u`` and embedding ``e_u`` are learned from their own
feedback only, so one user's listening never moves another's predictions. Trained with weighted binary
cross-entropy; likes and plays are positives, skips negatives, and a few random tracks per positive are weak
negatives (implicit feedback).

With a few dozen listens and a 128-d embedding, a free weight per dimension fits noise: an unheard quiet track
can outscore an unheard loud one. So the features are standardised on the whole catalog and the embedding part
is reduced to its principal components (fitted on every track, labelled or not: the catalog's own structure;
at most one per four tracks heard, so that noise alone cannot separate the examples),
while the few interpretable traits (tempo, loudness, mode) pass through untouched; the weights get a real L2
penalty. Training runs under :func:`recommender.seeding.deterministic`, so it gives the same model on any CPU.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from recommender.context.tags import CONTEXT_TAGS
from recommender.seeding import deterministic

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
    mean: np.ndarray | None = None  # feature standardisation (F,)
    std: np.ndarray | None = None
    version: int = 0
    proj: np.ndarray | None = None  # (F, D): principal components of the embedding, traits passed through

    def reduce(self, x: np.ndarray) -> np.ndarray:
        """Raw features ``(n, F)`` → the model's inputs ``(n, D)``."""
        z = (x - self.mean) / self.std
        return z if self.proj is None else z @ self.proj

    def predict(self, x: np.ndarray, user: int | None = None) -> np.ndarray:
        """P(context) ``(n, C)`` for tracks with features ``x`` ``(n, F)``, for ``user`` (None: a cold user)."""
        z = self.reduce(x)
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
        proj = np.eye(len(self.mean), dtype=np.float32) if self.proj is None else self.proj
        np.savez(tmp, w=self.w, b=self.b, q=self.q, ids=ids, a=a, e=e, mean=self.mean, std=self.std,
                 version=self.version, proj=proj)  # fmt: skip
        tmp.replace(path)

    @classmethod
    def load(cls, path: str | Path) -> UserContextModel | None:
        path = Path(path)
        if not path.exists():
            return None
        d = np.load(path)
        users = {int(i): (d["a"][k], d["e"][k]) for k, i in enumerate(d["ids"])}
        proj = d["proj"] if "proj" in d.files else None
        return cls(d["w"], d["b"], d["q"], users, d["mean"], d["std"], int(d["version"]), proj)


def reduction(
    x: np.ndarray, *, passthrough: int = 0, max_components: int = 16, variance: float = 0.9
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Standardisation ``(mean, std)`` ``(F,)`` and projection ``(F, D)`` fitted on the catalog ``x`` ``(n, F)``.

    The first ``F - passthrough`` columns (the embedding) go to their top principal components (enough for
    ``variance`` of it, at most ``max_components`` and fewer than n); the last ``passthrough`` (traits) stay.
    """
    mean, std = x.mean(0), x.std(0) + 1e-6
    z = (x - mean) / std
    f_emb = x.shape[1] - passthrough
    _, sv, vt = np.linalg.svd(z[:, :f_emb] - z[:, :f_emb].mean(0), full_matrices=False)
    share = np.cumsum(sv**2) / max(float((sv**2).sum()), 1e-12)
    k = int(min(max_components, max(1, len(x) - 1), np.searchsorted(share, variance) + 1, len(sv)))
    proj = np.zeros((x.shape[1], k + passthrough), dtype=np.float32)
    proj[:f_emb, :k] = vt[:k].T
    proj[f_emb:, k:] = np.eye(passthrough)
    return mean, std, proj


def fit(
    x: np.ndarray, feedback: list[Feedback], *, k: int = 4, epochs: int = 200, negatives: int = 2,
    passthrough: int = 0, max_components: int = 16, l2: float = 1e-2, l2_user: float = 1e-2, seed: int = 0,
    version: int = 1,
) -> UserContextModel:  # fmt: skip
    """Train on catalog features ``x`` ``(n_tracks, F)`` (every track, heard or not) and feedback rows.

    ``passthrough``: how many trailing feature columns are traits kept as they are (see :func:`reduction`).
    """
    with deterministic(seed):
        return _fit(x, feedback, k=k, epochs=epochs, negatives=negatives, passthrough=passthrough,
                    max_components=max_components, l2=l2, l2_user=l2_user, seed=seed, version=version)  # fmt: skip


def _fit(x, feedback, *, k, epochs, negatives, passthrough, max_components, l2, l2_user, seed, version):
    import torch

    rng = np.random.default_rng(seed)
    n_ctx = len(CONTEXT_TAGS)
    rows = list(feedback)
    for f in feedback:  # implicit negatives: random catalog tracks for each positive
        if f.label > 0:
            rows += [Feedback(f.user, int(t), f.context, 0.0, 0.2) for t in rng.integers(len(x), size=negatives)]
    user_ids = sorted({f.user for f in rows})
    uidx = {u: i for i, u in enumerate(user_ids)}
    # At least ~4 heard tracks per component: fewer examples than dimensions can be separated by noise alone.
    heard = len({f.track for f in feedback})
    components = int(np.clip(heard // 4, 1, max_components))
    mean, std, proj = reduction(x, passthrough=passthrough, max_components=components)
    z = torch.from_numpy((((x - mean) / std) @ proj).astype(np.float32))
    t = torch.tensor([f.track for f in rows])
    c = torch.tensor([f.context for f in rows])
    u = torch.tensor([uidx[f.user] for f in rows])
    y = torch.tensor([f.label for f in rows], dtype=torch.float32)
    wt = torch.tensor([f.weight for f in rows], dtype=torch.float32)
    f_dim = z.shape[1]
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
        loss = (
            loss + l2 * ((w**2).sum(1).mean() + (q**2).sum((1, 2)).mean()) + l2_user * ((a**2).mean() + (e**2).mean())
        )
        loss.backward()
        opt.step()
    users = {uid: (a[i].detach().numpy().copy(), e[i].detach().numpy().copy()) for uid, i in uidx.items()}
    return UserContextModel(w.detach().numpy(), b.detach().numpy(), q.detach().numpy(), users, mean, std, version, proj)
