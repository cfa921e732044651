"""A video's context tags come from the tracks its owner may see, never from another user's private tracks."""

import numpy as np
import pytest

from tests.webapp.catalog.factories import TrackFactory
from webapp.catalog.models import TrackTag
from webapp.videos.tagging import video_tags

pytestmark = pytest.mark.django_db


def test_video_tags_ignore_other_users_private_tracks(user, other_user):
    shared = TrackFactory(seed=1)
    private = TrackFactory(seed=2, owner=other_user)
    TrackTag.objects.filter(track=shared, tag="sleep").update(probability=0.9)
    TrackTag.objects.filter(track=private, tag="party").update(probability=1.0)
    TrackTag.objects.filter(track=shared, tag="party").update(probability=0.0)
    query = np.frombuffer(bytes(private.xm_embedding), np.float32)  # the private track is the nearest by far
    mine = video_tags(query, user, k=5)
    assert mine["party"] == 0.0 and mine["sleep"] == pytest.approx(0.9, abs=1e-3)
    theirs = video_tags(query, other_user, k=5)
    assert theirs["party"] > 0.5  # the owner of the private track does get it
