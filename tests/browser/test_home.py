import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_sign_in_and_see_home(signed_in, live_server):
    page = signed_in
    assert page.locator("[data-testid=username]").inner_text() == "erin"
    assert page.locator("h1").inner_text() == "Welcome, erin"


def test_wrong_password_shows_error(page, live_server, django_user_model):
    django_user_model.objects.create_user("finn", password="right-pass-123")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "finn")
    page.fill("input[name=password]", "wrong")
    page.click("button[type=submit]")
    assert "correct username and password" in page.locator("[role=alert]").inner_text()


@pytest.mark.worker
def test_selftest_progress_bar_finishes(signed_in, workers, tmp_path):
    """The progress-bar component polls a real job on a real worker until it is done."""
    workers.start("browser-w")
    page = signed_in
    page.click("#selftest")
    bar = page.locator("job-progress").first
    bar.wait_for()
    page.wait_for_function("document.querySelector('job-progress')?.dataset.state === 'done'", timeout=60_000)
    assert "done 100%" in bar.locator(".status").inner_text()
    page.screenshot(path=str(tmp_path / "home.png"))
