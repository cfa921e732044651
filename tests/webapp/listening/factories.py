"""factory_boy factories for listening: one play, like or skip of a track, somewhere, at some time."""

from datetime import UTC, datetime, timedelta

import factory

from tests.webapp.catalog.factories import TrackFactory
from tests.webapp.core.factories import UserFactory
from webapp.listening.models import Action, Listen


class ListenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Listen

    user = factory.SubFactory(UserFactory)
    track = factory.SubFactory(TrackFactory)
    action = Action.PLAY
    context = ""
    device = "desktop"
    local_time = factory.Sequence(lambda n: datetime(2026, 11, 2, 18, tzinfo=UTC) + timedelta(hours=n))
