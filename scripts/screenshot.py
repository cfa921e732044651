"""Take the README's screenshots from a running `make run` (Debian chromium, Playwright).

.venv/bin/python scripts/screenshot.py [http://127.0.0.1:8000]
"""

import json
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent


def main(base: str = "http://127.0.0.1:8000") -> None:
    creds = json.loads((ROOT / "var" / "demo-credentials.json").read_text())
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--headless"])
        page = browser.new_page(viewport={"width": 1200, "height": 560})
        page.goto(f"{base}/accounts/login/")
        page.fill("input[name=username]", creds["username"])
        page.fill("input[name=password]", creds["password"])
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/")
        page.click("#selftest")
        page.wait_for_timeout(1500)
        page.click("#selftest")
        page.wait_for_function("document.querySelector('job-progress')?.dataset.state === 'running'")
        page.wait_for_timeout(1200)
        page.screenshot(path=str(ROOT / "docs" / "screenshot-home.png"))
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
