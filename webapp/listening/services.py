"""Listening contexts for one user: infer the situation, score the catalog for it, queue retraining."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

import numpy as np
from django.conf import settings
from django.db.models import Count

from recommender.context import playlist, situation, user_tagger
from recommender.context.situation import DEVICES, Situation
from recommender.context.tags import CONTEXT_TAGS
from webapp.catalog.models import Track, TrackTag
from webapp.core.jobs import create_job_once
from webapp.core.models import Job
from webapp.listening.models import ContextModelVersion, Listen
from webapp.listening.tasks import retrain_contexts
from webapp.listening.training import model_paths, track_features

UA_DEVICES = [  # (substring of the User-Agent, device), first match wins
    ("carplay", "car"), ("android automotive", "car"), ("sonos", "speaker"), ("echo", "speaker"),
    ("smart-tv", "tv"), ("smarttv", "tv"), ("tizen", "tv"), ("webos", "tv"), ("ipad", "tablet"),
    ("tablet", "tablet"), ("mobile", "mobile"), ("iphone", "mobile"), ("android", "mobile"),
]  # fmt: skip


def device_from_user_agent(ua: str) -> str:
    ua = (ua or "").lower()
    for needle, device in UA_DEVICES:
        if needle in ua:
            return device
    return "desktop" if ua else "other"


def user_history(user) -> list[tuple[Situation, int]]:
    """The user's own situations with the context they named (their habits; nobody else's)."""
    rows = Listen.objects.filter(user=user).exclude(context="").values_list("device", "local_time", "context")
    return [(Situation(d, t.replace(tzinfo=None)), CONTEXT_TAGS.index(c)) for d, t, c in rows[:2000]]


@lru_cache(maxsize=2)
def _situation_net(path: str, mtime: float) -> situation.SituationModel:
    return situation.SituationModel.load(path)


def situation_model(user) -> situation.SituationModel:
    path, _ = model_paths()
    shared = _situation_net(str(path), path.stat().st_mtime if path.exists() else 0.0)
    return situation.SituationModel(net=shared.net, history={user.pk: user_history(user)}, version=shared.version)


@lru_cache(maxsize=2)
def _tagger(path: str, mtime: float) -> user_tagger.UserContextModel | None:
    return user_tagger.UserContextModel.load(path)


def tagger() -> user_tagger.UserContextModel | None:
    _, path = model_paths()
    return _tagger(str(path), path.stat().st_mtime if path.exists() else 0.0)


def catalog_probabilities(tracks: list[Track]) -> np.ndarray:
    """The catalog's own tag probabilities ``(n, C)`` (rules or the label-trained tagger): the cold start."""
    index = {t.pk: i for i, t in enumerate(tracks)}
    out = np.full((len(tracks), len(CONTEXT_TAGS)), 0.05)
    for track_id, tag, p in TrackTag.objects.filter(track_id__in=index).values_list("track_id", "tag", "probability"):
        if tag in CONTEXT_TAGS:
            out[index[track_id], CONTEXT_TAGS.index(tag)] = p
    return out


def playlist_now(user, device: str, when: datetime, *, k: int = 20) -> dict:
    """Inferred contexts with probabilities, and a ranked, diverse playlist for ``user`` now."""
    s = Situation(device, when)
    p = situation_model(user).predict(s, user.pk)
    tracks, x = track_features(list(Track.objects.visible_to(user).ready()))
    model = tagger()
    if model is not None and len(tracks) and x.shape[1] == model.mean.shape[0]:
        probs, source = model.predict(x, user.pk), f"user-aware tagger v{model.version}"
    else:
        probs, source = catalog_probabilities(tracks), "catalog tags (no listening model yet)"
    skips = dict(Listen.objects.filter(user=user, action="skip").values_list("track").annotate(n=Count("id")))
    skip_counts = np.array([skips.get(t.pk, 0) for t in tracks])
    score = playlist.scores(p, probs, skips=skip_counts)
    order = playlist.diverse_order(score, np.stack([t.vector for t in tracks]) if tracks else None, k)
    top = np.argsort(-p)[:3]
    contexts = [{"tag": CONTEXT_TAGS[i], "probability": float(p[i])} for i in top]
    reason = f"{s.describe()} → {contexts[0]['tag']} {contexts[0]['probability']:.2f}"
    items = [{"track": tracks[i], "score": float(score[i]), "fits": {CONTEXT_TAGS[c]: float(probs[i, c]) for c in top}}
             for i in order]  # fmt: skip
    return {"situation": s.describe(), "device": device, "time": when.isoformat(timespec="minutes"),
            "contexts": contexts, "reason": reason, "source": source, "items": items}  # fmt: skip


def maybe_retrain(user) -> Job | None:
    """Queue a retraining once CONTEXT_RETRAIN_EVERY listens arrived since the last one (never two at once)."""

    def due(_: Job | None) -> bool:
        last = ContextModelVersion.objects.first()
        since = Listen.objects.filter(created_at__gt=last.trained_at) if last else Listen.objects.all()
        return since.count() >= settings.CONTEXT_RETRAIN_EVERY

    return create_job_once(user, retrain_contexts, due=due)


def parse_device(value: str | None, user_agent: str) -> str:
    if not value:
        return device_from_user_agent(user_agent)
    if value not in DEVICES:
        raise ValueError(f"unknown device {value!r}; known: {', '.join(DEVICES)}")
    return value
