"""factory_boy factories for test data: they live per app, mirroring the layout, under tests/webapp/<app>/factories.py.

This module re-exports the ones it used to define, for the imports that name it.
"""

from tests.webapp.core.factories import JobFactory, UserFactory
from tests.webapp.drums.factories import DrumSessionFactory

__all__ = ["DrumSessionFactory", "JobFactory", "UserFactory"]
