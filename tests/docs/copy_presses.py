"""Every copy button of every page pressed in Chromium, in the background.

Pressing the buttons is the slow part of the site's tests (a page load and a clipboard
round trip per block). The plugin starts :data:`PRESSES` with the site build, while the
pages run and leave a core mostly idle; once the build is done, one background thread
serves the site, opens each page in one tab that may use the clipboard, and records
what each block's copy button put on it. ``test_site.py`` compares that with what the
doc tests executed (:meth:`CopyPresses.result` waits for a page's presses).

Playwright cannot download its own browser here, so it drives Debian's ``chromium``
(``noxfile.py`` installs it when missing).
"""

from __future__ import annotations

import functools
import http.server
import json
import re
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from tests.docs.site_checks import DOCS
from tests.support.browser import CHROMIUM, launch_chromium

NOT_ON_THE_SITE = ("hooks/", "performance/latest.md")  # exclude_docs in mkdocs.yml
PAGES = sorted(
    str(path.relative_to(DOCS))
    for path in DOCS.rglob("*.md")
    if not str(path.relative_to(DOCS)).startswith(NOT_ON_THE_SITE)
)
SENTINEL = "(the copy button put nothing on the clipboard)"
# The copy tests need no search: the site's index with no documents spares Chromium
# building the real one on every page load (a third of its CPU time).
# test_a_reader_can_navigate_and_search searches the real index.
SEARCH_INDEX = "search/search_index.json"


def empty_search_index(site: Path) -> str:
    """The site's search index, its configuration kept and its documents left out."""
    index = json.loads((site / SEARCH_INDEX).read_text())
    return json.dumps({**index, "docs": []})


# Material gives every code block's <pre> an id (its copy button's target) once its
# JavaScript has run on the page.
BLOCKS_MOUNTED = "[...document.querySelectorAll('article div.highlight pre')].every(pre => pre.id)"
# Each block's copy button in page order (null: the block has none). Each button is
# pressed with click() (the event clipboard.js listens to) and the clipboard read back.
# Collapsed notes (`??? note`) are opened first, as a reader opens them to copy.
PRESS_EVERY_COPY_BUTTON = """async (sentinel) => {
    for (const details of document.querySelectorAll("article details")) details.open = true;
    const copied = [];
    for (const block of document.querySelectorAll("article div.highlight")) {
        const pre = block.querySelector("pre");
        const button = pre && pre.id
            ? document.querySelector(`button[data-clipboard-target="#${pre.id} > code"]`)
            : null;
        if (!button) { copied.push(null); continue; }
        await navigator.clipboard.writeText(sentinel);
        button.click();
        copied.push(await navigator.clipboard.readText());
    }
    return copied;
}"""


@dataclass(frozen=True)
class Pressed:
    """What one page's copy buttons copied, block by block (None: no button), and the
    errors its console showed or requests to other hosts it tried."""

    copied: list[str | None]
    errors: list[str]


def page_path(page: str) -> str:
    """The page's path on the site: ``reference/api.md`` is served at ``reference/api/``."""
    stem = page.removesuffix(".md").removesuffix("index")
    return stem if not stem or stem.endswith("/") else stem + "/"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:
        pass


def serve_site(site: Path) -> http.server.ThreadingHTTPServer:
    """The built site over HTTP on a free port of 127.0.0.1 (``shutdown()`` stops it)."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class CopyPresses:
    """The presses of every page, on one background thread (Playwright's sync API stays
    on the thread that started it)."""

    def __init__(self) -> None:
        self._pages: dict[str, Future[Pressed]] = {page: Future() for page in PAGES}
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def start(self, built_site: Callable[[], Path | None]) -> None:
        """Press every page once ``built_site()`` returns the site (None: the build
        failed, and the site's tests say so)."""
        if self._thread is None and CHROMIUM is not None:
            self._thread = threading.Thread(target=self._press_all, args=(built_site,), daemon=True)
            self._thread.start()

    def result(self, page: str, site: Path) -> Pressed:
        """The page's presses, pressed now if the background thread was not started."""
        self.start(lambda: site)
        return self._pages[page].result()

    def stop(self) -> None:
        """Press no further page; wait for the page being pressed (or the build)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=120)  # a daemon: the browser closes at exit anyway

    def _press_all(self, built_site: Callable[[], Path | None]) -> None:
        try:
            site = built_site()
            if site is None:
                raise RuntimeError("the site did not build")
            server = serve_site(site)
            try:
                self._press(f"http://127.0.0.1:{server.server_address[1]}/", site)
            finally:
                server.shutdown()
        except BaseException as error:  # every waiting test fails with it
            for future in self._pages.values():
                if not future.done():
                    future.set_exception(error)

    def _press(self, site_url: str, site: Path) -> None:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            context = browser.new_context(
                permissions=["clipboard-read", "clipboard-write"],
                viewport={"width": 1400, "height": 900},
            )
            tab = context.new_page()
            errors: list[str] = []
            tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            tab.on("pageerror", lambda error: errors.append(str(error)))
            no_documents = empty_search_index(site)
            tab.route(
                site_url + SEARCH_INDEX,
                lambda route: route.fulfill(content_type="application/json", body=no_documents),
            )
            # Offline: fonts, the diagram… nothing may be fetched from another host.
            tab.route(
                re.compile(r"^(?!https?://127\.0\.0\.1[:/]).*"),
                lambda route: (errors.append(f"fetched {route.request.url}"), route.abort()),
            )
            for page, future in self._pages.items():
                if self._stop.is_set():
                    future.cancel()
                    continue
                errors.clear()
                try:
                    future.set_result(self._press_page(tab, site_url + page_path(page), errors))
                except Exception as error:  # this page's test fails with it
                    future.set_exception(error)
            browser.close()

    @staticmethod
    def _press_page(tab, url: str, errors: list[str]) -> Pressed:
        tab.goto(url)
        tab.wait_for_function(BLOCKS_MOUNTED)
        first = tab.locator('article button[data-md-type="copy"]').first
        if first.count():  # one real mouse press per page, then every button in the page
            first.click()
        copied = tab.evaluate(PRESS_EVERY_COPY_BUTTON, SENTINEL)
        return Pressed(copied, list(errors))


PRESSES = CopyPresses()
