"""Context tags of catalog tracks: rules or the learned tagger per tag, and retraining the tagger from users'
labels (a tag added on a track = positive, removed = negative)."""

from __future__ import annotations

import numpy as np
from django.conf import settings
from django.db import transaction

from recommender.context.tagger import LearnedTagger, features, train_tagger
from recommender.context.tags import CONTEXT_TAGS, TrackTraits, rule_probabilities
from webapp.catalog.models import TagLabel, TagSource, Track, TrackTag


def traits(track: Track) -> TrackTraits:
    return TrackTraits(tempo=track.tempo or 100.0, loudness=track.loudness or -30.0, minor=track.mode == "minor")


def assign_tags(track: Track, tagger: LearnedTagger | None = None) -> None:
    """Write the track's tag probabilities: learned ones where the tagger knows the tag, rules elsewhere."""
    tagger = tagger or LearnedTagger.load(settings.TAGGER_PATH)
    t = traits(track)
    probs = rule_probabilities(t)
    sources = dict.fromkeys(CONTEXT_TAGS, TagSource.RULE)
    vec = track.vector
    if tagger.weights and vec is not None:
        for tag, p in tagger.predict(features(vec, t)).items():
            probs[tag], sources[tag] = round(p, 3), TagSource.MODEL
    with transaction.atomic():
        TrackTag.objects.filter(track=track).delete()
        TrackTag.objects.bulk_create([
            TrackTag(track=track, tag=tag, probability=probs[tag], source=sources[tag],
                     model_version=tagger.version if sources[tag] == TagSource.MODEL else 0)
            for tag in CONTEXT_TAGS
        ])  # fmt: skip


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
