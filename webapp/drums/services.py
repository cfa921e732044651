"""Drum studio logic between the API and ``recommender.drums``: history in, next loop out."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from recommender.drums import features
from recommender.drums.kit import Kit, load_kit, synth_kit
from recommender.drums.patterns import N_INSTRUMENTS, from_dict, to_dict
from recommender.drums.render import render
from webapp.drums.models import DrumKit, DrumLoop, DrumSession, Rating


@lru_cache(maxsize=1)
def _learner():
    """The learner module, imported the first time a session asks for a loop (torch set to one thread, should
    the ensemble critic load it); the default Bayesian learner never loads torch."""
    from recommender.drums import learner

    learner.configure_torch(1)
    return learner


AUDIO_SR = 44100


class NotProposed(Exception):
    """A rating for a loop that this session never proposed."""


@lru_cache(maxsize=16)
def _kit(kit_id: int | None, folder: str, sr: int) -> Kit:
    if kit_id is None:
        return synth_kit(sr)
    kit, _ = load_kit(settings.MEDIA_ROOT / folder, sr=sr, name=f"kit-{kit_id}")
    return kit


def kit_for(session: DrumSession, sr: int) -> Kit:
    kit = session.kit
    return _kit(kit.pk, kit.folder, sr) if kit else _kit(None, "", sr)


def _history(session: DrumSession) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    loops = list(session.loops.order_by("index").values_list("pattern", "rating", "index"))
    steps = 16
    shown = np.array([from_dict(p, steps=steps) for p, _, _ in loops], dtype=np.float32).reshape(
        -1, N_INSTRUMENTS, steps
    )
    rated_mask = np.array([r in (Rating.LIKE, Rating.DISLIKE) for _, r, _ in loops], dtype=bool)
    labels = np.array([1.0 if r == Rating.LIKE else 0.0 for _, r, _ in loops], dtype=np.float32)[rated_mask]
    next_index = (loops[-1][2] + 1) if loops else 0
    return shown[rated_mask], labels, shown, next_index


def pending(session: DrumSession) -> DrumLoop | None:
    return session.loops.filter(rating__isnull=True).order_by("-index").first()


def next_loop(session: DrumSession) -> DrumLoop:
    """The pending proposal, or a new one chosen by the learner from this session's ratings."""
    with transaction.atomic():
        session = DrumSession.objects.select_for_update().get(pk=session.pk)
        loop = pending(session)
        if loop is not None:
            return loop
        rated, labels, shown, index = _history(session)
        rng = np.random.default_rng([session.seed, index])
        prop = _learner().propose(
            rated, labels, shown, rng=rng, kit=kit_for(session, features.FEATURE_SR), tempo=session.tempo,
            swing=session.swing,
        )  # fmt: skip
        return DrumLoop.objects.create(
            session=session, index=index, pattern=to_dict(prop.pattern), p_like=prop.p_like,
            uncertainty=prop.uncertainty, source=prop.source, choose_ms=prop.seconds * 1000,
        )  # fmt: skip


def rate(session: DrumSession, loop_id: int, rating: str) -> tuple[DrumLoop, DrumLoop]:
    """Record a rating (re-rating an earlier loop is allowed) and return it with the next proposal."""
    with transaction.atomic():
        loop = DrumLoop.objects.select_for_update().filter(session=session, pk=loop_id).first()
        if loop is None:
            raise NotProposed(f"loop {loop_id} was not proposed in this session")
        loop.rating, loop.rated_at = rating, timezone.now()
        loop.save(update_fields=["rating", "rated_at"])
        DrumSession.objects.filter(pk=session.pk).update(updated_at=timezone.now())
    return loop, next_loop(session)


def loop_audio(loop: DrumLoop, *, tempo: float | None = None, swing: float | None = None) -> np.ndarray:
    session = loop.session
    return render(
        from_dict(loop.pattern), kit_for(session, AUDIO_SR), tempo=tempo or session.tempo,
        swing=session.swing if swing is None else swing,
    )  # fmt: skip


def like_rate_curve(session: DrumSession, window: int = 10) -> list[dict]:
    """One point per like/dislike rating: the rolling share of likes among the last ``window`` of them, beside what
    the learner predicted for the same loops (its P(like) when it proposed each, rolling mean and this loop's)."""
    rows = [
        (rating, p_like)
        for rating, p_like in session.loops.order_by("index").values_list("rating", "p_like")
        if rating in (Rating.LIKE, Rating.DISLIKE)
    ]
    points = []
    for n in range(1, len(rows) + 1):
        recent = rows[max(0, n - window) : n]
        points.append(
            {
                "ratings": n,
                "like_rate": round(sum(r == Rating.LIKE for r, _ in recent) / len(recent), 3),
                "predicted_rate": round(sum(p for _, p in recent) / len(recent), 3),
                "p_like": round(rows[n - 1][1], 3),
            }
        )
    return points


def import_kit(folder, *, name: str, owner=None) -> DrumKit:
    """Copy recognised one-shots from ``folder`` into MEDIA_ROOT/kits/<id>/ and register the kit."""
    import shutil
    from pathlib import Path

    _, used = load_kit(folder, sr=AUDIO_SR)  # validates: raises ValueError with a clear message
    kit = DrumKit.objects.create(name=name, owner=owner, folder="", instruments={})
    rel = Path("kits") / str(kit.pk)
    dest = settings.MEDIA_ROOT / rel
    dest.mkdir(parents=True, exist_ok=True)
    stored = {}
    for inst, src in used.items():
        target = f"{inst}{Path(src).suffix.lower()}"
        shutil.copyfile(Path(folder) / src, dest / target)
        stored[inst] = target
    kit.folder, kit.instruments = str(rel), stored
    kit.save(update_fields=["folder", "instruments"])
    return kit
