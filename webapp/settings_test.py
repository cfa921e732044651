"""Test settings: the embedded default, in its own VAR_DIR so tests never touch a user's data."""

import os
from pathlib import Path

os.environ.setdefault("SEGUE_VAR_DIR", str(Path(__file__).resolve().parent.parent / "var" / "test"))
os.environ.setdefault("SECRET_KEY", "test-only-not-secret")

from webapp.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
