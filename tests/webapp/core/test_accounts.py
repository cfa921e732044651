import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model

from tests.conftest import ROOT


@pytest.mark.django_db
def test_signup_creates_user_and_signs_in(client):
    res = client.post(
        "/accounts/signup/",
        {"username": "dora", "password1": "a-long-Pass-phrase-9", "password2": "a-long-Pass-phrase-9"},
    )
    assert res.status_code == 302 and res.url == "/"
    assert get_user_model().objects.filter(username="dora").exists()
    assert b"dora" in client.get("/").content


@pytest.mark.django_db
def test_home_requires_login(client):
    res = client.get("/")
    assert res.status_code == 302 and res.url.startswith("/accounts/login/")


def test_production_safe_defaults_when_env_unset(tmp_path):
    code = "from django.conf import settings as s; print(s.DEBUG, s.ALLOWED_HOSTS, s.DATABASES['default']['ENGINE'])"
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "webapp.settings", "SEGUE_VAR_DIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert out == "False ['127.0.0.1', 'localhost'] django.db.backends.sqlite3"
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
