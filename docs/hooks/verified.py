"""mkdocs hook: show which blocks are not tested, and whether each page was verified.

* ``<!-- not-tested: reason -->`` above a fence (the harness's opt-out marker) becomes a
  visible "not tested: reason" badge.
* Each page ends with a stamp built from the doc-test record that a passing run of
  the doc tests writes (``.ci-artifacts/verified-run.json``; format and rule in
  ``tests/docs/stamp.py``): "Verified with hokusai-ml-platform X, MLflow Y …" only
  when the record is of this commit, these versions and this very page, and the page
  passed; otherwise "Not verified" and why. ``nox -s docs`` runs no test, so on a
  fresh clone every page says it was not verified.
"""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
try:  # standard library only: the site build needs no test dependencies
    from tests.docs import stamp
finally:
    sys.path.remove(str(ROOT))

NOT_TESTED = re.compile(r"^([ \t]*)<!--\s*not-tested:(?P<reason>[^>]*?)-->[ \t]*$", re.M)
_build: dict = {}


def _badge(match: re.Match) -> str:
    reason = html.escape(match.group("reason").strip())
    return f'{match.group(1)}<span class="not-tested">not tested: {reason}</span>\n'


def on_pre_build(config) -> None:
    _build["build"] = stamp.Build.current()
    _build["record"] = stamp.read()


def stamp_html(page_path: str, source: Path) -> str:
    """The stamp paragraph of the page at ``page_path`` (``docs/…``)."""
    if "build" not in _build:
        on_pre_build(None)
    build, record = _build["build"], _build["record"]
    verdict = stamp.verdict(record, build, page_path, stamp.page_hash(source))
    if not verdict.verified:
        return (
            '<p class="not-verified">Not verified: '
            f"{html.escape(verdict.reason)}. Run the doc tests (<code>nox -s doctest</code>) "
            "to verify the examples on this page.</p>"
        )
    commit = (record.get("commit") or "unknown")[:12]
    dirty = " with uncommitted changes" if record.get("dirty") else ""
    versions = build.versions
    return (
        '<p class="verified-with">Verified with hokusai-ml-platform '
        f"{html.escape(versions['hokusai-ml-platform'])}, MLflow "
        f"{html.escape(versions['mlflow-skinny'])} and Python {html.escape(versions['python'])}, "
        f"at commit <code>{html.escape(commit)}</code>{dirty}: every example on this page ran "
        f"in the {html.escape(verdict.reason)} and passed.</p>"
    )


def on_page_markdown(markdown: str, page, config, files) -> str:
    stamp_paragraph = stamp_html(f"docs/{page.file.src_uri}", Path(page.file.abs_src_path))
    return NOT_TESTED.sub(_badge, markdown) + "\n\n" + stamp_paragraph + "\n"
