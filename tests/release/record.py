"""The verified-run record: proof that the doc tests passed for this commit.

A passing doc-test run writes it (issue 12's harness); the mkdocs build reads it to
stamp each page "verified", and ``nox -s publish-docs`` refuses to publish without it.
This module is the one place the publishing side reads it; if the record's location
or keys change, change :data:`RECORD` and :func:`record_for_commit` only.

Location: ``.ci-artifacts/verified-run.json`` at the root of the checkout (ignored by
git). Keys read here::

    {
      "commit": "<the 40-hex commit the tests ran on>",
      "passed": true,
      "versions": {"hokusai-ml-platform": "0.2.0", "mlflow": "3.17.2"},
      "pages": {"docs/index.md": {"passed": true, ...}, ...}
    }
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from tests.release.project import DIST_NAME, ROOT, ReleaseError

RECORD = Path(".ci-artifacts") / "verified-run.json"


@dataclass(frozen=True)
class VerifiedRun:
    """What a doc-test run recorded about itself."""

    commit: str
    passed: bool
    versions: dict[str, str] = field(default_factory=dict)
    failed_pages: tuple[str, ...] = ()


def record_for_commit(commit: str, root: Path = ROOT) -> VerifiedRun | None:
    """The record of the doc-test run on ``commit``; None if there is none for it."""
    path = root / RECORD
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("commit") != commit:
        return None
    pages = data.get("pages", {})
    return VerifiedRun(
        commit=commit,
        passed=data.get("passed") is True,
        versions=dict(data.get("versions", {})),
        failed_pages=tuple(sorted(p for p, r in pages.items() if r.get("passed") is not True)),
    )


def require_passing_record(commit: str, version: str, root: Path = ROOT) -> VerifiedRun:
    """The record for ``commit``, or :class:`ReleaseError` unless it passed with ``version``."""
    run = record_for_commit(commit, root)
    rerun = "Run the doc tests on this commit first: python3 -m nox -s doctest"
    if run is None:
        raise ReleaseError(f"no verified-run record for commit {commit[:12]} ({RECORD}). {rerun}")
    if not run.passed or run.failed_pages:
        failed = f" (failed: {', '.join(run.failed_pages)})" if run.failed_pages else ""
        raise ReleaseError(
            f"the doc tests on {commit[:12]} did not pass{failed}. Fix them; {rerun}"
        )
    tested = run.versions.get(DIST_NAME)
    if tested != version:
        raise ReleaseError(
            f"the doc tests on {commit[:12]} ran {DIST_NAME} {tested}, not {version}. {rerun}"
        )
    return run
