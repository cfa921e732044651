import pytest
import soundfile as sf
from django.core.management import call_command

from recommender.synth.music import make_song
from tests.conftest import wait_until
from webapp.catalog.models import Track, TrackState

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.slow]


def test_upload_in_the_browser_and_browse_the_track(signed_in, live_server, workers, clean_indexes, tmp_path):
    workers.start("catalog-w")
    call_command("seed_demo", "--count", "2")  # two shared tracks for "more like this"
    wait_until(lambda: Track.objects.filter(state=TrackState.READY).count() == 2, 120, what="seeded tracks")
    page = signed_in
    page.click("text=Catalog")
    page.wait_for_selector("#track-rows tr")  # the page's script has run: the file input is listened to
    path = tmp_path / "My Band - First Light.flac"
    sf.write(path, make_song(31, max_seconds=30).audio, 22050)
    page.set_input_files("#file", str(path))
    bar = page.locator("#uploads job-progress")
    bar.wait_for()
    page.wait_for_function("document.querySelector('#uploads job-progress')?.dataset.state === 'done'", timeout=90_000)
    page.click("#uploads a")
    page.wait_for_selector("#title")
    assert "First Light" in page.locator("#title").inner_text()
    page.wait_for_function("document.getElementById('facts').textContent.includes('BPM')", timeout=90_000)
    assert page.locator("#legend span").count() >= 1  # coloured section timeline
    page.wait_for_selector("#similar li a")
    assert page.locator("#similar li").count() == 2
    page.locator("#tags li[data-tag=focus] button").click()
    page.wait_for_selector("#tags li[data-tag=focus] .chip.user")
    page.screenshot(path=str(tmp_path / "track.png"), full_page=True)
