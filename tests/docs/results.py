"""Each block's result, per page, for the live preview (``docs/hooks/live.py``).

When ``HOKUSAI_DOCS_RESULTS`` names a file, the plugin writes there, at the end of the
run, every block of every page it ran, in page order::

    {"docs/register.md": [{"line": 18, "state": "failed", "where": "docs/register.md:36",
                           "message": "TypeError: …", "details": "<traceback>"}, …]}

``state`` is ``passed``, ``failed``, ``skipped`` (the run stopped before it) or
``not tested`` (``message`` then holds the page's reason). ``where`` is the page (or
snippet) line the failure points at: the deepest one the traceback names.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from sybil import Document

from tests.docs.blocks import Kind, classify
from tests.docs.lexers import fences

RESULTS_VARIABLE = "HOKUSAI_DOCS_RESULTS"
ROOT = Path(__file__).resolve().parents[2]
_NODE = re.compile(r"^(?P<page>docs/[^:]+\.md)::line:(?P<line>\d+),column:\d+$")
_LOCATION = re.compile(
    rf"(?<![\w./-])(?P<path>(?:{re.escape(str(ROOT))}/)?(?:docs|snippets)/[\w./-]+\.(?:md|py|sh))"
    r":(?P<line>\d+)"
)
DETAILS_LINES = 60


class BlockResults:
    """What the run's reports said about each page block."""

    def __init__(self) -> None:
        self.found: dict[str, dict[int, dict]] = {}

    def add(self, report) -> None:
        match = _NODE.match(report.nodeid)
        if match is None or (report.when != "call" and report.outcome != "failed"):
            return
        blocks = self.found.setdefault(match["page"], {})
        line = int(match["line"])
        if blocks.get(line, {}).get("state") == "failed":
            return  # a failure in any phase sticks
        entry = {"line": line, "state": report.outcome}
        if report.failed:
            entry.update(_failure(report, match["page"], line))
        blocks[line] = entry

    def write(self, path: Path) -> None:
        pages = {}
        for page, blocks in self.found.items():
            for fence in fences(Document((ROOT / page).read_text(), str(ROOT / page))):
                if classify(fence) is Kind.NOT_TESTED:
                    blocks[fence.line] = {"line": fence.line, "state": "not tested",
                                          "message": fence.skip_reason.strip()}  # fmt: skip
                else:
                    blocks.setdefault(fence.line, {"line": fence.line, "state": "skipped"})
            pages[page] = [blocks[line] for line in sorted(blocks)]
        partial = path.with_name(path.name + ".partial")
        partial.write_text(json.dumps(pages, indent=1) + "\n")
        partial.replace(path)


def _failure(report, page: str, line: int) -> dict:
    text = report.longreprtext
    crash = getattr(report.longrepr, "reprcrash", None)
    message = crash.message if crash is not None else text.strip().splitlines()[-1]
    where = f"{page}:{line}"
    for found in _LOCATION.finditer(text):
        path = found["path"]
        where = f"{os.path.relpath(path, ROOT) if path.startswith('/') else path}:{found['line']}"
    details = "\n".join(text.rstrip().splitlines()[-DETAILS_LINES:])
    return {"where": where, "message": message, "details": details}


def results_file() -> Path | None:
    name = os.environ.get(RESULTS_VARIABLE)
    return Path(name) if name else None
