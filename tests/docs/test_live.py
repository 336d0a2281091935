"""The writer's loop, as a writer goes through it: ``nox -s serve``'s docs runner and its
live preview, in Chromium, on a copy of this checkout (the real pages stay untouched).

One test, in the order a writer meets it: open the Register page; break a keyword in
one of its blocks and save: the block shows failed, with the ``TypeError`` and its page
line; undo: green again; a block that hangs: stopped after the time limit, saying so;
Ctrl-C (SIGINT to the process group, as a terminal sends it): no process is left.
With ``HOKUSAI_EVIDENCE_DIR`` set, the failed and the passed states are screenshotted
there (``writer-failed.png``, ``writer-passed.png``).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from hokusai.local import free_port
from tests.docs.runner import _descendants
from tests.docs.test_site import CHROMIUM, CHROMIUM_ARGS
from tests.support.polling import eventually

ROOT = Path(__file__).resolve().parents[2]
BROKEN = (
    '    model_name="register-docs-lead-scorer",',
    '    model_nme="register-docs-lead-scorer",',
)
HANG = "\n```bash\nsleep 6071\n```\n"
LIMIT = 25  # seconds; HOKUSAI_DOCS_LIVE_LIMIT of the copy's serve


def _copy_of_the_checkout(target: Path) -> Path:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode()  # fmt: skip
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


@pytest.fixture
def serve(tmp_path):
    """``python -m tests.docs.runner -- mkdocs serve`` in a copy, as ``nox -s serve`` runs it."""
    copy = _copy_of_the_checkout(tmp_path / "checkout")
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    env = {**os.environ, "HOKUSAI_DOCS_LIVE_LIMIT": str(LIMIT)}
    env.pop("HOKUSAI_DOCS_RUNNER", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.docs.runner", "--", sys.executable, "-m", "mkdocs",
         "serve", "-a", f"127.0.0.1:{port}"],
        cwd=copy, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    process.copy, process.url, process.log = (
        copy,
        f"http://127.0.0.1:{port}",
        tmp_path / "serve.log",
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_a_writer_sees_each_saved_block_fail_and_pass_in_the_preview(serve):
    from playwright.sync_api import sync_playwright

    page_file = serve.copy / "docs" / "register.md"
    original = page_file.read_text()
    state = serve.copy / ".hokusai" / "docs-runner.json"
    log = lambda: serve.log.read_text()[-3000:]  # noqa: E731
    eventually(state.exists, "the docs runner's state file", timeout=240, detail=log)
    evidence = os.environ.get("HOKUSAI_EVIDENCE_DIR")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport={"width": 1280, "height": 1000})
        eventually(lambda: _opens(tab, serve.url + "/register/"), "the preview", 60, detail=log)
        assert "save <code>docs/register.md</code>" in tab.content()  # nothing ran yet

        page_file.write_text(original.replace(*BROKEN, 1))  # the writer saves a typo
        failed = tab.locator(".live-check.live-failed").first
        failed.wait_for(timeout=90_000)  # mkdocs serve reloads the tab after the rebuild
        assert "TypeError" in failed.inner_text()
        assert "model_nme" in failed.inner_text()
        assert "docs/register.md:36" in failed.inner_text()
        failed.evaluate("block => block.scrollIntoView({block: 'center'})")
        if evidence:
            tab.screenshot(path=f"{evidence}/writer-failed.png")

        page_file.write_text(original)  # undo
        tab.locator(".live-banner.live-passed").wait_for(timeout=90_000)
        assert tab.locator(".live-check.live-failed").count() == 0
        assert tab.locator(".live-check.live-passed").count() >= 10
        tab.locator(".live-check").nth(3).evaluate("b => b.scrollIntoView({block: 'center'})")
        if evidence:
            tab.screenshot(path=f"{evidence}/writer-passed.png")

        page_file.write_text(original + HANG)  # a block that never ends
        banner = tab.locator(".live-banner", has_text="stopped after")
        banner.wait_for(timeout=(LIMIT + 60) * 1000)
        assert f"stopped after {LIMIT} s" in banner.inner_text()
        browser.close()
    assert not [p for p in _descendants(serve.pid) if b"6071" in _cmdline(p)], "the hang survived"

    everything = _descendants(serve.pid) | {serve.pid}
    os.killpg(serve.pid, signal.SIGINT)  # Ctrl-C in serve's terminal
    serve.wait(90)
    eventually(lambda: not _alive(everything), "every process of serve to end", 30,
               detail=lambda: f"still running: {sorted(_alive(everything))}")  # fmt: skip
    assert not state.exists()


def _opens(tab, url: str) -> bool:
    try:
        return tab.goto(url).ok
    except Exception:  # the server is not listening yet
        return False


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""
