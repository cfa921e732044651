"""Retraining the context tagger from users' labels (a tag added on a track = positive, removed = negative)."""

from __future__ import annotations

import numpy as np
from django.conf import settings

from recommender.context.tagger import LearnedTagger, features, train_tagger
from webapp.catalog.models import TagLabel
from webapp.catalog.services import traits
from webapp.core.jobs import create_job_once
from webapp.core.models import Job


def maybe_retrain(user) -> Job | None:
    """Queue a retraining once TAGGER_MIN_LABELS labels arrived since the last one (never two at once)."""

    def due(last: Job | None) -> bool:
        new_labels = TagLabel.objects.filter(created_at__gt=last.created_at) if last else TagLabel.objects.all()
        return new_labels.count() >= settings.TAGGER_MIN_LABELS

    return create_job_once(user, "retag_catalog", due=due)


def retrain_tagger() -> LearnedTagger:
    labels = list(TagLabel.objects.select_related("track").exclude(track__embedding=None))
    previous = LearnedTagger.load(settings.TAGGER_PATH)
    if not labels:
        tagger = LearnedTagger(version=previous.version + 1)
    else:
        x = np.stack([features(lab.track.vector, traits(lab.track)) for lab in labels])
        tagger = train_tagger(x, [lab.tag for lab in labels], np.array([lab.positive for lab in labels]),
                              min_per_class=settings.TAGGER_MIN_LABELS, version=previous.version + 1)  # fmt: skip
    tagger.save(settings.TAGGER_PATH)
    return tagger
