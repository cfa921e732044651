import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_studio_play_like_with_keyboard_and_history_updates(signed_in, live_server, tmp_path):
    page = signed_in
    page.click("text=Drum studio")
    page.fill("input[name=name]", "browser session")
    page.click("#new-session button[type=submit]")
    page.wait_for_url("**/drums/*/")
    page.wait_for_selector("#grid .cell.on")
    first = page.get_attribute("#loop-info", "data-loop-id")
    assert first

    page.click("#play")
    page.wait_for_function("document.getElementById('play').textContent.includes('Stop')")
    page.wait_for_function("document.getElementById('grid').dataset.playingStep !== undefined")  # the playhead moves

    page.keyboard.press("l")
    page.wait_for_function(f"document.getElementById('loop-info').dataset.loopId !== '{first}'")
    item = page.locator("#history li").first
    assert item.get_attribute("data-loop-id") == first
    assert item.locator(".badge").inner_text() == "like"
    page.wait_for_function("document.getElementById('chart').dataset.points === '1'")
    # Beside the real like-rate: the learner's prediction for the rated loops and for the loop playing now.
    assert 0.0 <= float(page.get_attribute("#chart", "data-next")) <= 1.0
    assert page.locator("#chart-next").count() == 1 and page.locator("#chart polyline").count() == 2

    second = page.get_attribute("#loop-info", "data-loop-id")
    page.wait_for_function("document.body.dataset.busy === undefined")  # the next loop's audio is ready
    page.keyboard.press("d")
    page.wait_for_function(f"document.getElementById('loop-info').dataset.loopId !== '{second}'")
    assert page.locator("#history li").count() == 2
    assert page.locator("#history li .badge").first.inner_text() == "dislike"
    page.screenshot(path=str(tmp_path / "studio.png"), full_page=True)
