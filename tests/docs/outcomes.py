"""Which page each test of a run speaks for, and the record the run leaves behind.

* a block of ``docs/<page>`` (a Sybil item) speaks for that page;
* ``test_site.py``'s ``test_page_renders_as_executed[<page>]`` and
  ``test_copy_buttons_copy_what_ran[<page>]`` are the page's site checks;
* a docstring example of ``src/hokusai`` speaks for ``reference/api.md``, which shows it;
* every other test of ``tests/docs/``, and a docstring example of the site's own hooks
  (``docs/hooks/*.py``), is the harness's own.

A page passes when every one of its blocks ran and passed (none deselected or
skipped) and both its site checks passed. The record (:mod:`tests.docs.stamp`) is
written at the end of a run that ran at least one page; ``nox -s update`` writes none,
as it rewrites outputs instead of comparing them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from sybil import Document

from tests.docs import stamp

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
API_PAGE = "reference/api.md"  # below docs/; the record keys pages as docs/<page>
SITE_CHECK = re.compile(r"^tests/docs/test_site\.py::(?P<test>\w+)\[(?P<page>[^\]]+)\]$")


class Outcomes:
    def __init__(self) -> None:
        self.blocks: dict[str, dict[str, str]] = defaultdict(dict)  # page -> nodeid -> outcome
        self.checks: dict[str, dict[str, str]] = defaultdict(dict)  # page -> check -> outcome
        self.harness: dict[str, str] = {}

    def add(self, nodeid: str, when: str, outcome: str) -> None:
        if when != "call" and outcome == "passed":
            return  # setup/teardown passing says nothing; failing fails the test
        path = nodeid.split("::", 1)[0]
        site = SITE_CHECK.match(nodeid)
        if path.startswith("docs/") and path.endswith(".md"):
            self._note(self.blocks[path.removeprefix("docs/")], nodeid, outcome)
        elif site and site["test"] in stamp.SITE_CHECKS:
            self._note(self.checks[site["page"]], stamp.SITE_CHECKS[site["test"]], outcome)
        elif path.startswith("src/hokusai/"):
            self._note(self.blocks[API_PAGE], nodeid, outcome)
        elif path.startswith(("tests/docs/", "docs/")):
            self._note(self.harness, nodeid, outcome)

    @staticmethod
    def _note(outcomes: dict[str, str], key: str, outcome: str) -> None:
        if outcomes.get(key) != "failed":  # a failure in any phase sticks
            outcomes[key] = outcome

    def ran_a_page(self) -> bool:
        return bool(self.blocks or self.checks)

    def pages(self, expected_blocks) -> dict[str, dict]:
        found = {}
        for page in sorted(set(self.blocks) | set(self.checks)):
            blocks, checks = self.blocks.get(page, {}), self.checks.get(page, {})
            expected = len(blocks) if page == API_PAGE else expected_blocks(page)
            passed_blocks = sum(outcome == "passed" for outcome in blocks.values())
            passed_checks = sorted(c for c, outcome in checks.items() if outcome == "passed")
            failed = sorted(k for k, o in {**blocks, **checks}.items() if o == "failed")
            found[f"docs/{page}"] = {
                "sha256": stamp.page_hash(DOCS / page),
                "blocks": passed_blocks,
                "expected": expected,
                "site_checks": passed_checks,
                "failed": failed,
                "passed": not failed
                and passed_blocks == expected
                and (page != API_PAGE or expected > 0)
                and passed_checks == sorted(stamp.SITE_CHECKS.values()),
            }
        return found

    def harness_passed(self) -> bool:
        return "failed" not in self.harness.values()


def expected_blocks(page_blocks):
    """The number of executed blocks of a page, as the harness collects them."""

    def count(page: str) -> int:
        path = DOCS / page
        if not path.exists():
            return 0
        return len(list(page_blocks(Document(path.read_text(), str(path)))))

    return count
