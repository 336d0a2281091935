"""The verified stamp is honest: only a passing run's record for this build vouches."""

from __future__ import annotations

import pytest

from tests.docs import stamp
from tests.docs.outcomes import Outcomes

BUILD = stamp.Build("c0ffee", "tree-hash", {"hokusai-ml-platform": "0.1.0", "python": "3.11.7"})


def record(**changes) -> dict:
    data = {
        "commit": "c0ffee",
        "tree": "tree-hash",
        "versions": dict(BUILD.versions),
        "harness_passed": True,
        "finished": "2026-12-02T10:00:00+00:00",
        "pages": {"docs/quickstart.md": {"sha256": "page-hash", "passed": True}},
    }
    data.update(changes)
    return data


def test_a_matching_record_of_a_passing_page_vouches_for_it():
    assert stamp.verdict(record(), BUILD, "docs/quickstart.md", "page-hash").verified


@pytest.mark.parametrize(
    ("changes", "page", "digest", "reason"),
    [
        ({"commit": "deadbeef"}, "docs/quickstart.md", "page-hash", "of commit deadbeef"),
        ({"versions": {"python": "3.12.1"}}, "docs/quickstart.md", "page-hash", "used"),
        ({"tree": "other"}, "docs/quickstart.md", "page-hash", "changed since"),
        (
            {"harness_passed": False},
            "docs/quickstart.md",
            "page-hash",
            "harness's own tests failed",
        ),
        ({}, "docs/register.md", "page-hash", "was not tested"),
        ({}, "docs/quickstart.md", "edited", "this page changed"),
        (
            {"pages": {"docs/quickstart.md": {"sha256": "page-hash", "passed": False}}},
            "docs/quickstart.md",
            "page-hash",
            "failed",
        ),
    ],
)
def test_anything_else_is_not_verified_and_says_why(changes, page, digest, reason):
    verdict = stamp.verdict(record(**changes), BUILD, page, digest)
    assert not verdict.verified and reason in verdict.reason


def test_no_record_is_not_verified():
    assert not stamp.verdict(None, BUILD, "docs/quickstart.md", "page-hash").verified


def test_a_page_with_a_failing_block_is_recorded_as_failed():
    outcomes = Outcomes()
    outcomes.add("docs/quickstart.md::line:42,column:1", "call", "passed")
    outcomes.add("docs/quickstart.md::line:54,column:1", "call", "failed")
    for check in stamp.SITE_CHECKS:
        outcomes.add(f"tests/docs/test_site.py::{check}[quickstart.md]", "call", "passed")
    page = outcomes.pages(lambda page: 2)["docs/quickstart.md"]
    assert page["passed"] is False
    assert page["failed"] == ["docs/quickstart.md::line:54,column:1"]


def test_a_page_whose_site_checks_or_blocks_did_not_all_run_is_not_passed():
    outcomes = Outcomes()
    outcomes.add("docs/quickstart.md::line:42,column:1", "call", "passed")
    assert outcomes.pages(lambda page: 1)["docs/quickstart.md"]["passed"] is False  # no site checks
    for check in stamp.SITE_CHECKS:
        outcomes.add(f"tests/docs/test_site.py::{check}[quickstart.md]", "call", "passed")
    assert outcomes.pages(lambda page: 1)["docs/quickstart.md"]["passed"] is True
    assert outcomes.pages(lambda page: 2)["docs/quickstart.md"]["passed"] is False  # one deselected


def test_a_docstring_example_of_a_hook_is_the_harness_not_a_page():
    outcomes = Outcomes()
    outcomes.add("docs/hooks/release.py::hooks.release.placeholder_urls", "call", "passed")
    assert outcomes.pages(lambda page: 0) == {} and outcomes.harness_passed()
    outcomes.add("docs/hooks/release.py::hooks.release.placeholder_urls", "call", "failed")
    assert not outcomes.harness_passed()


def test_the_record_round_trips(tmp_path):
    written = stamp.write(
        {"docs/index.md": {"sha256": "h", "passed": True}}, True, True, tmp_path / "r.json"
    )
    assert stamp.read(tmp_path / "r.json") == written
    assert written["commit"] == stamp.commit() and written["versions"] == stamp.versions()


def test_publish_docs_reads_the_record_the_harness_writes(tmp_path):
    from tests.release.record import RECORD, record_for_commit

    assert stamp.RECORD.relative_to(stamp.ROOT) == RECORD
    pages = {"docs/index.md": {"passed": True}, "docs/quickstart.md": {"passed": False}}
    stamp.write(pages, True, False, tmp_path / RECORD)
    run = record_for_commit(stamp.commit(), root=tmp_path)
    assert (run.passed, run.failed_pages) == (False, ("docs/quickstart.md",))
    assert run.versions["hokusai-ml-platform"] == stamp.versions()["hokusai-ml-platform"]
