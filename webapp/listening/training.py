"""Retraining the listening-context models from every listen: the situation network and the user-aware tagger.

The models themselves (definition, training, save and load) live in ``recommender.context``; this module reads
the listens, calls them and stores the files and the version row.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from django.conf import settings

from recommender.context import situation, user_tagger
from recommender.context.situation import Situation
from recommender.context.tagger import N_TRAITS, features
from recommender.context.tags import CONTEXT_TAGS
from webapp.catalog.models import Track
from webapp.catalog.tagging import traits
from webapp.listening.models import ContextModelVersion, Listen


def model_paths() -> tuple[Path, Path]:
    d = Path(settings.CONTEXT_MODEL_DIR)
    return d / "situation.pt", d / "user_tagger.npz"


def track_features(tracks: list[Track]) -> tuple[list[Track], np.ndarray]:
    keep = [t for t in tracks if t.vector is not None]
    if not keep:
        return [], np.zeros((0, 0), dtype=np.float32)
    return keep, np.stack([features(t.vector, traits(t)) for t in keep])


def retrain() -> ContextModelVersion:
    """Fit the situation network and the user-aware tagger on every listen; save both; record the version."""
    listens = list(Listen.objects.select_related("track").order_by("pk"))
    version = (ContextModelVersion.objects.first().version if ContextModelVersion.objects.exists() else 0) + 1
    events = [(lis.user_id, Situation(lis.device, lis.local_time.replace(tzinfo=None)), CONTEXT_TAGS.index(lis.context))
              for lis in listens if lis.context]  # fmt: skip
    sit = situation.fit(events, version=version, seed=settings.TRAINING_SEED)
    sit_path, tag_path = model_paths()
    sit_path.parent.mkdir(parents=True, exist_ok=True)
    if sit.net is not None:
        sit.save(sit_path)
    # Every ready track, heard or not: the catalog's structure shapes the features, and implicit negatives
    # are drawn from it.
    tracks, x = track_features(list(Track.objects.ready().order_by("pk")))
    row = {t.pk: i for i, t in enumerate(tracks)}
    feedback = []
    for lis in listens:
        if lis.track_id not in row:
            continue
        label, weight = user_tagger.ACTION_WEIGHTS[lis.action]
        if lis.context:
            contexts = [(CONTEXT_TAGS.index(lis.context), 1.0)]
        else:  # no word from the user: the situation model's guess, as a softer label
            p = sit.predict(Situation(lis.device, lis.local_time.replace(tzinfo=None)), lis.user_id)
            contexts = [(int(c), float(p[c])) for c in np.argsort(-p)[:2] if p[c] >= 0.25]
        feedback += [user_tagger.Feedback(lis.user_id, row[lis.track_id], c, label, 0.5 * weight * w)
                     for c, w in contexts]  # fmt: skip
    details = {"situation_events": len(events), "feedback_rows": len(feedback), "tracks": len(tracks)}
    if feedback and len(tracks) >= 2:
        model = user_tagger.fit(x, feedback, passthrough=N_TRAITS, seed=settings.TRAINING_SEED, version=version)
        model.save(tag_path)
        details["tagger_users"] = len(model.users)
    return ContextModelVersion.objects.create(
        version=version, listens=len(listens), users=len({lis.user_id for lis in listens}), details=details
    )
