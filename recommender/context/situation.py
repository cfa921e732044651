"""Where and when a user listens → which listening context they are in (Ibrahim et al. 2020, 2022).

Features: the device (one-hot), the local hour and weekday as points on circles (so 23:00 is next to 00:00
and Sunday next to Monday), a weekend flag, and device × time-of-day interactions. A small network
(one hidden layer) learns P(context | device, time) from every user's feedback; a user's own history then
pulls the answer towards their habits (a Dirichlet blend of their counts at similar times on the same
device with the network's answer as the prior). With no data at all, a written prior stands in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from recommender.context.tags import CONTEXT_TAGS
from recommender.seeding import deterministic

DEVICES: tuple[str, ...] = ("mobile", "desktop", "tablet", "speaker", "car", "tv", "other")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Situation:
    device: str  # one of DEVICES
    when: datetime  # the listener's local time

    @property
    def hour(self) -> float:
        return self.when.hour + self.when.minute / 60

    def describe(self) -> str:
        return f"{WEEKDAYS[self.when.weekday()]} {self.when:%H:%M} on {self.device}"


def situation_features(s: Situation) -> np.ndarray:
    """``(N_FEATURES,)``: device one-hot, 2 harmonics of the hour, the weekday circle, weekend, interactions."""
    dev = np.zeros(len(DEVICES), dtype=np.float32)
    dev[DEVICES.index(s.device) if s.device in DEVICES else DEVICES.index("other")] = 1.0
    h = 2 * np.pi * s.hour / 24
    d = 2 * np.pi * s.when.weekday() / 7
    time = np.array([np.sin(h), np.cos(h), np.sin(2 * h), np.cos(2 * h), np.sin(d), np.cos(d),
                     1.0 if s.when.weekday() >= 5 else 0.0], dtype=np.float32)  # fmt: skip
    return np.concatenate([dev, time, np.outer(dev, time[:4]).ravel()])


N_FEATURES = len(DEVICES) + 7 + 4 * len(DEVICES)


def prior(s: Situation) -> np.ndarray:
    """A written cold-start prior ``(len(CONTEXT_TAGS),)``: commutes at rush hour on phones and in cars,
    focus on weekday working hours at a desk, workouts after work, parties on weekend nights, sleep late."""
    h, weekend = s.hour, s.when.weekday() >= 5
    w = dict.fromkeys(CONTEXT_TAGS, 0.3)
    rush = (7 <= h < 9.5 or 17 <= h < 19.5) and not weekend
    w["commute"] += 3.0 * rush * (s.device in ("mobile", "car")) + 2.0 * (s.device == "car")
    w["focus"] += 2.5 * (9 <= h < 17 and not weekend) * (s.device in ("desktop", "tablet"))
    w["workout"] += 1.5 * (17 <= h < 21) * (s.device == "mobile") + 0.5 * (6 <= h < 8)
    w["running"] += 1.0 * (6 <= h < 9 or 17 <= h < 20) * (s.device == "mobile")
    w["party"] += 2.5 * (weekend or s.when.weekday() == 4) * (h >= 21 or h < 3) * (s.device in ("speaker", "tv"))
    w["dance"] += 1.0 * (h >= 21 or h < 3) * weekend
    w["relax"] += 1.5 * (19 <= h < 23) * (s.device in ("speaker", "tv", "tablet")) + 0.5 * weekend
    w["sleep"] += 2.5 * (h >= 23 or h < 6)
    w["morning"] += 1.5 * (6 <= h < 10)
    w["night"] += 1.5 * (h >= 21 or h < 4)
    p = np.array([w[c] for c in CONTEXT_TAGS], dtype=np.float64)
    return p / p.sum()


@dataclass(frozen=True)
class SituationNet:
    """The shared network's weights, run in numpy: ``Linear(N_FEATURES, hidden) → ReLU → Linear(hidden, contexts)``.

    Trained with torch (:func:`fit`, a training job), answered in numpy: a web process that makes playlists then
    never imports torch (~180 MB resident, issue 17); same logits as the torch module within 1e-6.
    """

    w1: np.ndarray  # (hidden, N_FEATURES) float32
    b1: np.ndarray  # (hidden,)
    w2: np.ndarray  # (len(CONTEXT_TAGS), hidden)
    b2: np.ndarray  # (len(CONTEXT_TAGS),)

    @property
    def hidden(self) -> int:
        return int(self.w1.shape[0])

    def logits(self, x: np.ndarray) -> np.ndarray:
        """``(batch, N_FEATURES)`` → ``(batch, len(CONTEXT_TAGS))``, float32."""
        h = np.maximum(np.asarray(x, dtype=np.float32) @ self.w1.T + self.b1, 0.0)
        return h @ self.w2.T + self.b2

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """Softmax of :meth:`logits` over the contexts, ``(batch, len(CONTEXT_TAGS))``."""
        z = self.logits(x)
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    @classmethod
    def from_torch(cls, net) -> SituationNet:
        """The weights of a trained ``torch.nn.Sequential(Linear, ReLU, Linear)``."""
        first, last = net[0], net[2]
        return cls(*(t.detach().cpu().numpy().astype(np.float32).copy()
                     for t in (first.weight, first.bias, last.weight, last.bias)))  # fmt: skip


@dataclass
class SituationModel:
    """The shared network (None until trained) and per-user counts ``user -> list[(features, context)]``."""

    net: SituationNet | None = None
    history: dict[int, list[tuple[Situation, int]]] = field(default_factory=dict)
    strength: float = 4.0  # how many of the user's own events the shared answer is worth
    version: int = 0

    def shared(self, s: Situation) -> np.ndarray:
        if self.net is None:
            return prior(s)
        return self.net.probabilities(situation_features(s)[None])[0].astype(np.float64)

    def save(self, path: str | Path) -> None:
        """Write the shared network's weights (numpy's ``.npz``, whatever the name; the per-user histories live in
        the database); atomic replace."""
        if self.net is None:
            raise ValueError("nothing to save: the network is not trained")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as f:
            np.savez(f, w1=self.net.w1, b1=self.net.b1, w2=self.net.w2, b2=self.net.b2, version=self.version)
        tmp.replace(path)

    @classmethod
    def load(cls, path: str | Path) -> SituationModel:
        """The saved network, or the written prior alone when there is no file yet.

        A file written by torch (before the weights were saved as ``.npz``) is still read, with torch.
        """
        path = Path(path)
        if not path.exists():
            return cls()
        try:
            with np.load(path, allow_pickle=False) as saved:
                if "w1" in saved.files:
                    net = SituationNet(*(saved[k].astype(np.float32) for k in ("w1", "b1", "w2", "b2")))
                    return cls(net=net, version=int(saved["version"]))
        except ValueError:  # not numpy's: torch's legacy (pickle) format
            pass
        import torch

        state = torch.load(path, weights_only=True)
        net = _network(state["hidden"])
        net.load_state_dict(state["net"])
        return cls(net=SituationNet.from_torch(net), version=int(state.get("version", 0)))

    def predict(self, s: Situation, user: int | None = None) -> np.ndarray:
        """P(context) ``(len(CONTEXT_TAGS),)`` for ``user`` in situation ``s``."""
        p = self.shared(s)
        events = self.history.get(user, []) if user is not None else []
        if not events:
            return p
        counts = np.zeros(len(CONTEXT_TAGS))
        for past, ctx in events:
            counts[ctx] += similarity(s, past)
        return (counts + self.strength * p) / (counts.sum() + self.strength)


def similarity(a: Situation, b: Situation, *, hours: float = 1.5) -> float:
    """Kernel weight of a past situation: same device, close in the hour of day, same kind of day."""
    if a.device != b.device:
        return 0.0
    dh = abs(a.hour - b.hour)
    dh = min(dh, 24 - dh)
    same_day_kind = (a.when.weekday() >= 5) == (b.when.weekday() >= 5)
    return float(np.exp(-0.5 * (dh / hours) ** 2) * (1.0 if same_day_kind else 0.3))


def fit(events: list[tuple[int, Situation, int]], *, epochs: int = 300, hidden: int = 32, seed: int = 0,
        version: int = 1) -> SituationModel:  # fmt: skip
    """Train on ``(user, situation, context index)`` events; the network needs a few dozen to be worth it."""
    model = SituationModel(version=version)
    for user, s, ctx in events:
        model.history.setdefault(user, []).append((s, ctx))
    if len(events) < 30:
        return model
    with deterministic(seed):
        model.net = SituationNet.from_torch(_train_net(events, epochs=epochs, hidden=hidden))
    return model


def _network(hidden: int):
    import torch

    return torch.nn.Sequential(torch.nn.Linear(N_FEATURES, hidden), torch.nn.ReLU(),
                               torch.nn.Linear(hidden, len(CONTEXT_TAGS)))  # fmt: skip


def _train_net(events: list[tuple[int, Situation, int]], *, epochs: int, hidden: int):
    import torch

    x = torch.from_numpy(np.stack([situation_features(s) for _, s, _ in events]))
    y = torch.tensor([c for _, _, c in events])
    net = _network(hidden)
    opt = torch.optim.Adam(net.parameters(), lr=0.02, weight_decay=1e-4)
    for _ in range(epochs):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
    return net.eval()
