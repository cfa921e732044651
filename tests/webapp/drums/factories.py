"""factory_boy factories for the drum studio: sessions and the loops proposed in them."""

import factory
import numpy as np

from recommender.drums.patterns import sample_prior, to_dict
from tests.webapp.core.factories import UserFactory


class DrumSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "drums.DrumSession"

    owner = factory.SubFactory(UserFactory)
    tempo = 120.0
    seed = factory.Sequence(lambda n: n)


class DrumLoopFactory(factory.django.DjangoModelFactory):
    """A loop of a session, drawn from the learner's prior with its own seed; pending (unrated) by default."""

    class Meta:
        model = "drums.DrumLoop"

    class Params:
        seed = factory.Sequence(lambda n: n)

    session = factory.SubFactory(DrumSessionFactory)
    index = factory.LazyAttribute(lambda o: o.session.loops.count())
    pattern = factory.LazyAttribute(lambda o: to_dict(sample_prior(1, np.random.default_rng([o.seed, 1]))[0]))
    p_like = 0.5
    uncertainty = 0.0
    source = "prior"
    rating = None
