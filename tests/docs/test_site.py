"""The built site, as a reader sees it: strict build, then headless Chromium.

Playwright cannot download its own browser here, so it drives Debian's
``chromium`` (``noxfile.py`` installs it when missing). A screenshot of the home
page is saved to ``.ci-artifacts/site.png``.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from pathlib import Path

import pytest

from tests.docs.site_build import SITE

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / ".ci-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Without the background-networking flags Chromium keeps dialling outside hosts.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def site() -> Path:
    returncode, stderr, output = SITE.result()  # started in the background by the plugin
    assert returncode == 0, f"mkdocs build --strict failed:\n{stderr[-5000:]}"
    return output


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:
        pass


@pytest.fixture(scope="module")
def site_url(site: Path):
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def test_strict_build_renders_every_page(site: Path):
    for page in ("index.html", "quickstart/index.html", "reference/cli/index.html"):
        html = (site / page).read_text()
        assert "Verified with hokusai-ml-platform" in html, page


def test_not_tested_blocks_show_a_badge_with_their_reason(site: Path):
    html = (site / "quickstart" / "index.html").read_text()
    assert '<span class="not-tested">not tested: runs in the foreground' in html


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip(
            "Debian's chromium is not installed (nox -s tests installs it: apt-get install chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def test_a_reader_can_navigate_search_and_copy(browser, site_url):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(site_url)
    assert "Hokusai registry" in page.title()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "site.png"), full_page=True)

    page.get_by_role("link", name="Quickstart").first.click()
    page.wait_for_url("**/quickstart/")
    assert page.locator("h1").inner_text().startswith("Quickstart")
    page.locator("button[title='Copy to clipboard']").first.wait_for(timeout=15_000)
    assert page.locator("button[title='Copy to clipboard']").count() >= 3, (
        "code blocks have copy buttons"
    )

    page.locator("input.md-search__input").click()
    page.keyboard.type("register_tokenized_model", delay=10)
    results = page.locator(".md-search-result__item")
    results.first.wait_for(timeout=15_000)
    assert results.count() >= 1
    assert not errors, f"console errors: {errors}"
