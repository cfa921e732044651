"""factory_boy factories for the core app: users and jobs."""

import factory
from django.contrib.auth import get_user_model

from webapp.core.models import Job


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw-for-tests-1")


class JobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Job

    owner = factory.SubFactory(UserFactory)
    kind = "selftest"
    params = factory.LazyFunction(lambda: {"steps": 3, "step_seconds": 0.0})
