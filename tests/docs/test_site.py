"""The built site, as a reader gets it: strict build, rendered blocks, copy buttons.

* Every page's code blocks are its fences, one for one, with the same text, and
  nothing leaks (``tests/docs/site_checks.py``).
* In Chromium, every copy button of every page is pressed and the clipboard holds
  exactly what the doc tests executed (a console block: its commands only). The
  presses run in the background while the pages run (``tests/docs/copy_presses.py``).
* A reader navigates and searches; a screenshot of the home page is saved to
  ``.ci-artifacts/site.png``.
"""

from __future__ import annotations

import doctest
import re
from html import unescape as html_unescape
from pathlib import Path

import pytest

from docs.hooks.verified import NOT_TESTED as NOT_TESTED_MARKER  # the badge's own rule
from tests.docs import stamp
from tests.docs.copy_presses import PAGES, PRESSES, serve_site
from tests.docs.rendered import built_page
from tests.docs.site_build import SITE
from tests.docs.site_checks import DOCS, check_page, expected_copy
from tests.support.browser import CHROMIUM, launch_chromium

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / ".ci-artifacts"
BADGE = re.compile(r'<span class="not-tested">(.*?)</span>', re.S)
# A block test_page_renders_as_executed already fails (no fence, or not a doctest).
UNCHECKED = "<not checked: reported by test_page_renders_as_executed>"


@pytest.fixture(scope="module")
def site() -> Path:
    returncode, stderr, output = SITE.result()  # started in the background by the plugin
    assert returncode == 0, f"mkdocs build --strict failed:\n{stderr[-5000:]}"
    return output


@pytest.fixture(scope="module")
def site_url(site: Path):
    server = serve_site(site)
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def test_a_production_build_shows_no_live_preview(site: Path):
    # docs/hooks/live.py marks blocks only under nox -s serve (HOKUSAI_DOCS_LIVE=1).
    leaked = [
        str(page.relative_to(site))
        for page in site.rglob("*.html")
        if re.search(r'class="live-(check|banner)', page.read_text())
    ]
    assert not leaked, f"live-preview markup in a production build: {leaked}"


def test_strict_build_renders_every_page(site: Path):
    missing = [page for page in PAGES if not built_page(site, page).exists()]
    assert not missing, f"pages mkdocs did not build: {missing}"


def test_every_page_says_whether_a_passing_run_verified_it(site: Path):
    """The stamp follows the record the build read (this run writes its own only at
    the end): verified only where the record vouches for the page."""
    build, record, wrong = stamp.Build.current(), stamp.read(), []
    for page in PAGES:
        html = built_page(site, page).read_text()
        shown = (html.count('class="verified-with"'), html.count('class="not-verified"'))
        verified = stamp.verdict(
            record, build, f"docs/{page}", stamp.page_hash(DOCS / page)
        ).verified
        if shown != ((1, 0) if verified else (0, 1)):
            wrong.append(f"docs/{page}: stamps {shown}, the record says verified={verified}")
    assert not wrong, "\n".join(wrong)


def test_not_tested_blocks_show_a_badge_with_their_reason(site: Path):
    missing, badges = [], 0
    for page in PAGES:
        html = built_page(site, page).read_text()
        shown = [
            " ".join(html_unescape(re.sub(r"<[^>]+>", "", badge)).split())
            for badge in BADGE.findall(html)
        ]
        for marker in NOT_TESTED_MARKER.finditer((DOCS / page).read_text()):
            badges += 1
            # Markdown renders the reason's `code` spans: compare the text, tags stripped.
            reason = " ".join(marker.group("reason").replace("`", "").split())
            if f"not tested: {reason}" not in shown:
                missing.append(f"docs/{page}: no badge for 'not tested: {reason}'")
    assert badges, "no page has a not-tested block: this test checks nothing"
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_as_executed(site: Path, page: str):
    _, _, problems = check_page(DOCS / page, built_page(site, page).read_text())
    assert not problems, "the built page is not what the doc tests executed:\n" + "\n".join(
        problems
    )


@pytest.fixture(scope="module")
def chromium_installed() -> None:
    if CHROMIUM is None:
        pytest.skip(
            "Debian's chromium is not installed (nox -s doctest and nox -s tests install it: apt-get install chromium)"
        )


@pytest.fixture(scope="module")
def browser(chromium_installed):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


def _expected_payloads(site: Path, page: str) -> tuple[list[tuple[str, str | None]], list[str]]:
    """(where, expected clipboard text or None for no button) per block, in page order,
    and the page's render problems (a block no fence produced is left unchecked)."""
    rendered, pairs, problems = check_page(DOCS / page, built_page(site, page).read_text())
    by_block = {id(block): fence for fence, block in pairs}  # blocks of `rendered`
    expected = []
    for number, block in enumerate(rendered.blocks):
        if block.documented_object is not None:  # a docstring's >>> example: its Python
            examples = doctest.DocTestParser().get_examples(block.text)
            code = "".join(example.source for example in examples).rstrip()
            where = f"docs/{page}: example of {block.documented_object}"
            expected.append((where, code if examples else UNCHECKED))  # else: not a doctest
        elif id(block) in by_block:
            fence = by_block[id(block)]
            expected.append((f"docs/{page}:{fence.line}", expected_copy(fence)))
        else:  # test_page_renders_as_executed reports it
            expected.append((f"docs/{page}: block {number + 1}", UNCHECKED))
    return expected, problems


@pytest.mark.parametrize("page", PAGES)
def test_copy_buttons_copy_what_ran(chromium_installed, site: Path, page: str):
    expected, render_problems = _expected_payloads(site, page)
    checked = [wanted for _, wanted in expected if wanted not in (None, UNCHECKED)]
    pressed = PRESSES.result(page, site)
    copied = pressed.copied
    assert len(copied) == len(expected), f"{page}: {len(copied)} blocks, {len(expected)} known"
    problems = []
    for (where, wanted), got in zip(expected, copied, strict=True):
        if wanted == UNCHECKED:
            continue
        if wanted is None and got is not None:
            problems.append(f"{where}: an output block has a copy button")
        elif wanted is not None and got is None:
            problems.append(f"{where}: no copy button")
        elif got != wanted:
            problems.append(f"{where}: the copy button copies\n{got!r}\nnot what ran:\n{wanted!r}")
    assert not problems, "\n".join(problems)
    assert not pressed.errors, f"console errors on {page}: {pressed.errors}"
    unchecked = [where for where, wanted in expected if wanted == UNCHECKED]
    assert not unchecked or render_problems, f"blocks left unchecked: {unchecked}"
    assert checked or not any(wanted is not None for _, wanted in expected)


def test_a_reader_can_navigate_and_search(browser, site_url):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(site_url)
    assert "Hokusai registry" in page.title()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "site.png"), full_page=True)

    page.get_by_role("link", name="Quickstart").first.click()
    page.wait_for_url("**/quickstart/")
    assert page.locator("h1").inner_text().startswith("Quickstart")

    page.locator("input.md-search__input").click()
    page.keyboard.type("register_tokenized_model", delay=10)
    results = page.locator(".md-search-result__item")
    results.first.wait_for(timeout=15_000)
    assert results.count() >= 1
    assert not errors, f"console errors: {errors}"
    page.close()
