"""mkdocs hook: the live preview checks the page being written (``nox -s serve`` only).

Enabled only when ``HOKUSAI_DOCS_LIVE=1``, which the docs runner sets for the
``mkdocs serve`` it starts (``tests/docs/runner.py``); any other build (``nox -s docs``,
``publish-docs``) leaves every page as it is.

When a rebuild finds that a page, or a snippet it includes, changed since the last
build, it runs that page's blocks with the doc-test harness, in a subprocess, against
the runner's registry and warm interpreter (``pytest docs/<page>.md``, which then
writes each block's result: ``tests/docs/results.py``), and shows the result above each
block: "passed", "failed" with the page line, the error and the traceback or diff, or
"not run". A run that takes longer than ``HOKUSAI_DOCS_LIVE_LIMIT`` seconds (60) is
stopped, every process it started included, and the page says so. The first build
runs nothing: a page is checked when it is saved.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
try:
    from tests.docs.runner import (
        LIVE_VARIABLE,
        STATE_FILE,
        WARM_PYTEST,
        folder,
        state_path_from,
        warm_environment,
    )
    from tests.docs.stamp import page_hash
finally:
    sys.path.remove(str(ROOT))

ENABLED = os.environ.get(LIVE_VARIABLE) == "1"
TIME_LIMIT = float(os.environ.get("HOKUSAI_DOCS_LIVE_LIMIT", "60"))
RUN_MARKER = "HOKUSAI_DOCS_LIVE_RUN"  # in every process of one check: how a hang is stopped
STATE = state_path_from(os.environ) or STATE_FILE
LIVE = folder(STATE) / "live"  # per page: its digest when last seen, its last check
FENCE_LINE = re.compile(r"^(?P<indent>[ \t>]*)(`{3,}|~{3,})")
PLACEHOLDER = re.compile(r'(?:<p>)?<span class="live-check" data-line="(\d+)"></span>(?:</p>)?')
ERROR_CLASS = re.compile(r"^[\w.]+\.DocBlockError: ")


def _record(page: str) -> Path:
    return LIVE / (page.replace("/", "--") + ".json")


def _load(page: str) -> dict:
    with contextlib.suppress(OSError, ValueError):
        return json.loads(_record(page).read_text())
    return {}


def _runner_environment() -> dict[str, str]:
    """The environment of a check: the runner's, with its warm interpreter first on
    PATH (pytest itself then starts with MLflow imported)."""
    deadline = time.monotonic() + TIME_LIMIT
    while not STATE.exists() and time.monotonic() < deadline:
        time.sleep(0.2)  # the runner is still starting its registry
    try:
        return warm_environment(STATE, dict(os.environ))
    except (OSError, ValueError, TypeError):  # no runner: the harness starts its own
        path = os.pathsep.join((str(Path(sys.executable).parent), os.environ.get("PATH", "")))
        return {**os.environ, "PATH": path}


def _stop(marker: str) -> None:
    """Kill every process of one check: all carry its marker in their environment."""
    needle = f"{RUN_MARKER}={marker}".encode()
    for environ in Path("/proc").glob("[0-9]*/environ"):
        with contextlib.suppress(OSError, ValueError):
            if needle in environ.read_bytes().split(b"\0"):
                os.kill(int(environ.parent.name), signal.SIGKILL)


def check(page: str) -> dict:
    """Run the page's blocks; what the preview shows of them."""
    results = LIVE / f"results-{uuid.uuid4().hex}.json"
    marker = uuid.uuid4().hex
    env = {**_runner_environment(), "HOKUSAI_DOCS_RESULTS": str(results), RUN_MARKER: marker}
    started = time.monotonic()
    process = subprocess.Popen(
        ["python", "-m", "pytest", page, "-q", *WARM_PYTEST],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        output, _ = process.communicate(timeout=TIME_LIMIT)
        timed_out = False
    except subprocess.TimeoutExpired:
        _stop(marker)
        output, _ = process.communicate()
        timed_out = True
    found = {"checked_at": time.strftime("%H:%M:%S"), "seconds": time.monotonic() - started}
    try:
        found["blocks"] = json.loads(results.read_text()).get(page, [])
    except (OSError, ValueError):
        found["blocks"] = []
        found["output"] = output[-4000:]
    results.unlink(missing_ok=True)
    if timed_out:
        found["timeout"] = TIME_LIMIT
        found["output"] = output[-4000:]
    return found


def on_page_markdown(markdown: str, page, config, files) -> str:
    if not ENABLED:
        return markdown
    name = f"docs/{page.file.src_uri}"
    LIVE.mkdir(parents=True, exist_ok=True)
    record = _load(name)
    digest = page_hash(Path(page.file.abs_src_path))  # the page and what it includes
    if record.get("digest") not in (None, digest):  # saved since the last build: check it
        record["check"] = check(name)
    record["digest"] = digest
    _record(name).write_text(json.dumps(record))
    lines = markdown.split("\n")
    for block in reversed(record.get("check", {}).get("blocks", [])):
        index = block["line"] - 1
        fence = FENCE_LINE.match(lines[index]) if index < len(lines) else None
        if fence is not None and block["state"] != "not tested":  # those have their badge
            placeholder = f'<span class="live-check" data-line="{block["line"]}"></span>'
            lines.insert(index, fence["indent"] + placeholder)
    return "\n".join(lines)


def on_page_content(content: str, page, config, files) -> str:
    if not ENABLED:
        return content
    name = f"docs/{page.file.src_uri}"
    found = _load(name).get("check")
    blocks = {block["line"]: block for block in (found or {}).get("blocks", [])}
    body = PLACEHOLDER.sub(lambda m: _block_html(name, blocks[int(m[1])]), content)
    return _banner(name, found) + body


def _block_html(page: str, block: dict) -> str:
    state = block["state"]
    if state == "passed":
        return f'<div class="live-check live-passed">passed · <code>{page}:{block["line"]}</code></div>'
    if state != "failed":
        return '<div class="live-check live-skipped">not run: the check stopped before this block</div>'
    message = ERROR_CLASS.sub("", block.get("message", ""))
    return (
        f'<div class="live-check live-failed"><strong>failed</strong> at '
        f"<code>{html.escape(block.get('where', ''))}</code>"
        f"<pre>{html.escape(message)}</pre><details><summary>traceback</summary>"
        f"<pre>{html.escape(block.get('details', ''))}</pre></details></div>"
    )


def _banner(page: str, found: dict | None) -> str:
    if found is None:
        text = (f"Live check: save <code>{page}</code> (or a snippet it includes) to run its "
                "blocks against the docs runner.")  # fmt: skip
        return f'<div class="live-banner">{text}</div>'
    when = f"Live check of <code>{page}</code> at {found['checked_at']}"
    if "timeout" in found:
        return (
            f'<div class="live-banner live-failed">{when}: stopped after {found["timeout"]:.0f} s, '
            "the page did not finish: a block hangs, or the page needs longer (a page with "
            "install blocks, or the Quickstart's reader session: raise "
            f"<code>HOKUSAI_DOCS_LIVE_LIMIT</code>). Its last output:"
            f"<pre>{html.escape(found.get('output', ''))}</pre></div>"
        )
    states = [block["state"] for block in found["blocks"]]
    if not states:
        return (
            f'<div class="live-banner live-failed">{when}: the harness reported no block. '
            f"Its output:<pre>{html.escape(found.get('output', ''))}</pre></div>"
        )
    counts = ", ".join(f"{states.count(s)} {s}" for s in dict.fromkeys(sorted(states)))
    css = "live-failed" if "failed" in states else "live-passed"
    return f'<div class="live-banner {css}">{when} ({found["seconds"]:.1f} s): {counts}</div>'
