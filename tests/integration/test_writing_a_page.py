"""CONTRIBUTING.md's "Writing a page", run as written, as a writer goes through it.

Its blocks run in ``bash -e`` in a scratch copy of this checkout (the real pages stay
untouched): ``python3 -m nox -s serve`` (the real session: its venv in the copy's
``.nox/``, the docs runner, ``mkdocs serve``), then, in a second shell, the terminal
re-check, twice. Then the preview in Chromium: open the Register page; break a keyword
in one of its blocks and save: the block shows failed, with the ``TypeError`` and its
page line; undo: green again; a snippet a page includes saved with one more line of
output: that page fails with the diff, and passes once it is undone; a block that
hangs: stopped after the time limit, saying so, and its process gone. Last, Ctrl-C (SIGINT to serve's process group, as a terminal
sends it): no process is left. With ``HOKUSAI_EVIDENCE_DIR`` set, the failed and the
passed states are screenshotted there (``writer-failed.png``, ``writer-passed.png``).
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from tests.docs.runner import _descendants
from tests.release.scratch import environment, scratch_repository
from tests.release.test_contributing import section_blocks
from tests.support.browser import CHROMIUM, launch_chromium
from tests.support.polling import eventually

SERVE_AT = "http://127.0.0.1:8000"  # where CONTRIBUTING.md's `nox -s serve` serves
BROKEN = (
    '    model_name="register-docs-lead-scorer",',
    '    model_nme="register-docs-lead-scorer",',
)
HANG = "\n```bash\nsleep 6071\n```\n"
LIMIT = 25  # seconds: HOKUSAI_DOCS_LIVE_LIMIT of this serve


@pytest.fixture(scope="module")
def blocks() -> list[str]:
    return section_blocks("Writing a page")


@pytest.fixture(scope="module")
def serve(blocks, tmp_path_factory):
    """CONTRIBUTING.md's first block, in a scratch copy, until the docs runner is ready."""
    copy = scratch_repository(tmp_path_factory.mktemp("writer") / "checkout", real_urls=False)
    log_path = copy.parent / "serve.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            ["bash", "-e", "-o", "pipefail", "-c", blocks[0]],
            cwd=copy, env=environment(HOKUSAI_DOCS_LIVE_LIMIT=str(LIMIT)),
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    process.copy, process.log = copy, lambda: log_path.read_text()[-4000:]
    process.state = copy / ".hokusai" / "docs-runner.json"
    try:
        eventually(lambda: process.state.exists() or process.poll() is not None,
                   "nox -s serve's docs runner", timeout=600, interval=0.5, detail=process.log)  # fmt: skip
        assert process.poll() is None, process.log()
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)


def test_serve_prints_how_to_check_a_page(serve):
    out = serve.log()
    assert "next to a local registry (the docs runner)" in out
    assert "python -m tests.docs.runner check docs/<page>.md" in out
    assert "docs runner: registry on http://127.0.0.1:" in out
    assert ":5000" not in out.split("docs runner: registry on")[1].splitlines()[0]


def test_a_page_is_checked_in_a_terminal_against_the_runner_twice(serve, blocks):
    for _ in range(2):  # the second run starts from the same registry as the first
        done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", blocks[1]], cwd=serve.copy,
                              env=environment(), capture_output=True, text=True)  # fmt: skip
        assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
        # check, then plain pytest: both against the runner, both green
        assert done.stdout.count("docs runner: using .hokusai/docs-runner.json") == 2, done.stdout
        assert done.stdout.count(" passed") == 2 and "failed" not in done.stdout


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_the_preview_marks_each_saved_block(serve):
    from playwright.sync_api import sync_playwright

    page_file = serve.copy / "docs" / "register.md"
    original = page_file.read_text()
    record = serve.copy / ".ci-artifacts" / "verified-run.json"  # the terminal checks wrote it
    recorded = record.read_text()
    evidence = os.environ.get("HOKUSAI_EVIDENCE_DIR")
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        tab = browser.new_page(viewport={"width": 1280, "height": 1000})
        eventually(
            lambda: _opens(tab, SERVE_AT + "/register/"), "the preview", 60, detail=serve.log
        )
        assert "save <code>docs/register.md</code>" in tab.content()  # nothing ran yet

        page_file.write_text(original.replace(*BROKEN, 1))  # the writer saves a typo
        failed = tab.locator(".live-check.live-failed").first
        failed.wait_for(timeout=90_000)  # mkdocs serve reloads the tab after the rebuild
        assert "TypeError" in failed.inner_text() and "model_nme" in failed.inner_text()
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

        snippet = serve.copy / "snippets" / "mlflow_client" / "log_and_register.py"
        shown = snippet.read_text()
        snippet.write_text(shown + 'print("one line more")\n')  # a snippet a page includes
        eventually(lambda: _opens(tab, SERVE_AT + "/mlflow-client/"), "the page", 60)
        stale = tab.locator(".live-check.live-failed", has_text="log_and_register.out")
        stale.wait_for(timeout=90_000)
        assert "+one line more" in stale.inner_text()
        snippet.write_text(shown)
        tab.locator(".live-banner.live-passed").wait_for(timeout=90_000)

        tab.goto(SERVE_AT + "/register/")
        page_file.write_text(original + HANG)  # a block that never ends
        banner = tab.locator(".live-banner", has_text="stopped after")
        banner.wait_for(timeout=(LIMIT + 60) * 1000)
        assert f"stopped after {LIMIT} s" in banner.inner_text()
        browser.close()
    page_file.write_text(original)
    assert record.read_text() == recorded, "a preview check rewrote the verified-run record"
    hung = [pid for pid in _descendants(serve.pid) if b"6071" in _cmdline(pid)]
    assert not hung, "the hanging block's process survived the time limit"


def test_ctrl_c_leaves_no_process(serve):
    everything = _descendants(serve.pid) | {serve.pid}
    assert len(everything) > 4  # nox, the runner, mkdocs, hokusai local up, MLflow, warm…
    os.killpg(serve.pid, signal.SIGINT)  # Ctrl-C in serve's terminal
    serve.wait(120)
    eventually(lambda: not _alive(everything), "every process of serve to end", 30,
               detail=lambda: f"still running: {sorted(_alive(everything))}")  # fmt: skip
    assert not serve.state.exists()


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
