import re

import numpy as np
import pytest
from django.core.management import call_command

from recommender.analysis import analyze
from recommender.mux import write_video
from recommender.synth.music import make_song
from recommender.synth.music_video import EditingStyle, render
from recommender.video import probe_video
from tests.conftest import wait_until
from webapp.catalog.models import Track, TrackState

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.slow]


def test_upload_a_video_get_soundtracks_play_one_and_render_a_preview(
    signed_in, live_server, workers, clean_indexes, tmp_path
):
    workers.start("video-w")
    call_command("seed_demo", "--count", "3")
    wait_until(lambda: Track.objects.filter(state=TrackState.READY).count() == 3, 150, what="seeded tracks")
    song = make_song(77, max_seconds=30)
    style = EditingStyle(0.6, 1.0, 0.0, 0.8, 0.0, 0.8, 1.0)
    frames = render(analyze(song.audio, song.sr), np.random.default_rng(0), start=4.0, seconds=8.0, style=style)
    path = write_video(tmp_path / "My Edit.mp4", frames, 12.0, codec="libx264")  # what browsers play

    page = signed_in
    page.click("text=Videos")
    page.wait_for_selector("#video-rows tr")  # the page's script has run: the file input is listened to
    page.set_input_files("#file", str(path))
    page.wait_for_url("**/videos/*/", timeout=60_000)
    page.wait_for_function("document.getElementById('analysis-progress').dataset.state === 'done'", timeout=120_000)
    assert page.locator("#analysis-progress").get_attribute("aria-valuenow") == "100"
    page.wait_for_selector("#results li button.play")
    assert page.locator("#results li").count() == 3
    first = page.locator("#results li").first.inner_text()
    assert re.search(r"from \d+:\d\d\.\d\d", first) and "cuts on onsets" in first, first  # to the frame, and why
    assert re.search(r"light on the level [+−]\d\.\d\d", first), first  # the light term beside the others
    # ...and as a picture: the video's light against the track's level, two lines, said in words to a screen reader
    chart = page.locator("#results li").first.locator("figure.line-chart")
    assert chart.locator("svg polyline.light").count() == 1 and chart.locator("svg polyline.level").count() == 1
    assert re.search(r"correlation [+−]\d\.\d\d", chart.get_attribute("aria-label")), chart.get_attribute("aria-label")
    assert chart.locator("figcaption").inner_text().split() == ["light", "level"]
    points = chart.locator("polyline.light").get_attribute("points").split()
    assert len(points) == len(chart.locator("polyline.level").get_attribute("points").split()) == 80  # 8 s / 0.1 s
    page.locator("#results li button.play").first.click()
    page.wait_for_selector("#chosen-actions:not([hidden])")
    # the music follows the picture from the chosen offset
    page.wait_for_function(
        "(() => { const v = document.getElementById('video'), m = document.getElementById('music');"
        " return m.src && m.currentTime > 0 && !m.paused || v.ended; })()",
        timeout=30_000,
    )
    csv_href = page.locator("#markers-csv").get_attribute("href")
    assert "as=csv" in csv_href and "offset=" in csv_href
    page.click("#render-preview")
    page.wait_for_selector("#preview-link", timeout=120_000)
    href = page.locator("#preview-link").get_attribute("href")
    res = page.request.get(live_server.url + href)
    assert res.status == 200 and res.headers["content-type"] == "video/mp4" and len(res.body()) > 1000
    # fit to length: the track re-arranged along its bars to the video's length, its plan on the page
    page.check("#fit-length")
    page.wait_for_selector("#anchor-hint:has-text('pieces')")
    # drag the anchor's marker to 2 s: the plan is asked for again with the new anchor and drawn around it
    duration = page.request.get(page.url.replace("/videos/", "/api/videos/")).json()["duration"]
    page.locator("#timeline").scroll_into_view_if_needed()
    box = page.locator("#timeline").bounding_box()
    held = page.locator("#timeline").get_attribute("data-anchor-at")
    start = float(held) if held is not None else duration / 2
    y = box["y"] + 0.85 * box["height"]
    with page.expect_request(lambda r: "/fit-plan/" in r.url and "at=2" in r.url):
        page.mouse.move(box["x"] + start / duration * box["width"], y)
        page.mouse.down()
        page.mouse.move(box["x"] + 1.0 / duration * box["width"], y, steps=4)
        page.mouse.move(box["x"] + 2.0 / duration * box["width"], y, steps=4)
        page.mouse.up()
    page.wait_for_selector("#anchor-hint:has-text('lands at 2.0')")
    assert abs(float(page.locator("#timeline").get_attribute("data-anchor-at")) - 2.0) <= 1 / 25
    page.click("#render-preview")
    page.wait_for_selector("#preview-link:has-text('fitted')", timeout=120_000)
    previews = page.request.get(page.url.replace("/videos/", "/api/videos/") + "previews/").json()
    ((_, at),) = next(p for p in previews if p["fit"] == "length")["plan"]["anchors"]
    assert abs(at - 2.0) <= 1 / 25  # the render honours the dragged anchor
    assert "preview=" in page.locator("#markers-csv").get_attribute("href")  # markers of the fitted edit
    fitted = page.request.get(live_server.url + page.locator("#preview-link").get_attribute("href"))
    assert fitted.status == 200 and fitted.headers["content-type"] == "video/mp4"
    (tmp_path / "fitted.mp4").write_bytes(fitted.body())
    info = probe_video(tmp_path / "fitted.mp4")
    assert info.has_audio and abs(info.duration - 8.0) < 0.2
    # fitted versions in the ranking: each result edited to the video's length, the chosen one plays its plan
    page.check("#fit-ranking")
    page.wait_for_selector("#results li .fitted")
    page.locator("#results li button.play").first.click()
    page.wait_for_selector("#anchor-hint:has-text('pieces')")
    page.screenshot(path=str(tmp_path / "video.png"), full_page=True)
