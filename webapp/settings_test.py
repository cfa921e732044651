"""Test settings: the embedded default, in its own VAR_DIR so tests never touch a user's data."""

import os
from pathlib import Path

os.environ.setdefault("SEGUE_VAR_DIR", str(Path(__file__).resolve().parent.parent / "var" / "test"))
os.environ.setdefault("SECRET_KEY", "test-only-not-secret")

from webapp.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The Redis pass of the test suite (scripts/test.sh): tests/conftest.py starts redis-server here.
if os.environ.get("SEGUE_TEST_BROKER") == "redis":
    CELERY_BROKER_URL = f"redis://127.0.0.1:{os.environ.get('SEGUE_TEST_REDIS_PORT', '6398')}/0"
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3}
