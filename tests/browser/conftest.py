"""Playwright on Debian's chromium (never Playwright's own browser download)."""

import os
import shutil
from collections.abc import Iterator

import pytest

from tests.conftest import need

CHROMIUM = os.environ.get("SEGUE_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    need(shutil.which(CHROMIUM) is not None or os.path.exists(CHROMIUM), f"{CHROMIUM} is not installed")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop vs. live_server ORM use
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(45_000)  # generous: CI has 2 cores shared by chromium, the server and a worker
    yield page
    context.close()


@pytest.fixture
def signed_in(page, live_server, django_user_model):
    """A page signed in through the real login form, as a person would."""
    django_user_model.objects.create_user("erin", password="erin-pass-123")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "erin")
    page.fill("input[name=password]", "erin-pass-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return page


@pytest.fixture
def clean_indexes():
    """No index files left from an earlier run: the live server and the workers start from an empty catalog."""
    from django.conf import settings

    from webapp.catalog import indexes

    shutil.rmtree(settings.INDEX_DIR, ignore_errors=True)
    for cache in (indexes.track_index, indexes.section_index, indexes.xm_track_index, indexes.xm_section_index):
        cache.cache_clear()
    yield
