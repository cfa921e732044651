"""Retraining the context tagger from users' labels (a tag added on a track = positive, removed = negative)."""

from __future__ import annotations

import numpy as np
from django.conf import settings

from recommender.context.tagger import LearnedTagger, features, train_tagger
from webapp.catalog.models import TagLabel
from webapp.catalog.services import traits


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
