"""The doc-test record: what a passing run verified, read by the site build's stamp.

A run of the doc tests (``nox -s doctest``, ``nox -s tests``) writes the record when it
ends; ``docs/hooks/verified.py`` reads it and stamps each page "Verified with
hokusai-ml-platform X, MLflow Y …" only if the record vouches for that page, else
"Not verified: <why>". Publishing versioned docs must refuse to publish without a
record that vouches for every page (``verdict`` below is the one rule).

Location: ``.ci-artifacts/verified-run.json`` at the repository root (``RECORD``);
``tests/release/record.py`` reads it for ``nox -s publish-docs``.

Format (JSON, ``"format": 1``)::

    {
      "format": 1,
      "commit": "<git HEAD, 40 hex; null outside a git checkout>",
      "dirty": false,                 # uncommitted changes to tracked files
      "tree": "<sha256 of src/, snippets/, docs/hooks/, tests/docs/, mkdocs.yml,
               pyproject.toml, uv.lock: what every page's result depends on>",
      "versions": {"hokusai-ml-platform": "0.1.0", "mlflow-skinny": "3.17.2",
                   "python": "3.11.7"},
      "finished": "2026-12-02T10:15:42+00:00",
      "passed": true,                 # the whole test run passed (pytest's exit status 0)
      "harness_passed": true,         # the harness's own tests (tests/docs/) all passed
      "pages": {
        "docs/quickstart.md": {
          "sha256": "<sha256 of the page's Markdown and of every file it includes>",
          "passed": true,             # every block ran and passed, and so did its site checks
          "blocks": 9,                # executed blocks that passed, of "expected"
          "expected": 9,
          "site_checks": ["rendered", "copy"],   # the built-page checks that passed
          "failed": []                # test ids that failed
        }
      }
    }

A page is verified when the record's commit, tree and versions are those of the
build, the harness passed, and the page's entry has the page's current hash and
``"passed": true``; the record of a run with a failing block has ``"passed": false``
for that page, so it can never be stamped verified. Standard library only: the site
build imports this module.
"""

from __future__ import annotations

import hashlib
import json
import platform
import re
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RECORD = ROOT / ".ci-artifacts" / "verified-run.json"
FORMAT = 1
TREE = ("src", "snippets", "docs/hooks", "tests/docs", "mkdocs.yml", "pyproject.toml", "uv.lock")
DISTRIBUTIONS = ("hokusai-ml-platform", "mlflow-skinny")
SITE_CHECKS = {
    "test_page_renders_as_executed": "rendered",
    "test_copy_buttons_copy_what_ran": "copy",
}
INCLUDE = re.compile(r"""^\s*-+8<-+\s+["'](?P<path>[^"':]+)""", re.M)


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in DISTRIBUTIONS:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def _git(*args: str, root: Path = ROOT) -> str | None:
    try:
        result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    except OSError:
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def commit(root: Path = ROOT) -> str | None:
    return _git("rev-parse", "HEAD", root=root)


def dirty(root: Path = ROOT) -> bool:
    return bool(_git("status", "--porcelain", "--untracked-files=no", root=root))


def tree_hash(root: Path = ROOT) -> str:
    digest = hashlib.sha256()
    for name in TREE:
        top = root / name
        files = sorted(top.rglob("*")) if top.is_dir() else [top]
        for path in files:
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def page_hash(page: Path, root: Path = ROOT) -> str:
    """sha256 of a page's Markdown and of every file it includes with ``--8<--``."""
    text = page.read_text()
    digest = hashlib.sha256(text.encode())
    for path in sorted(set(INCLUDE.findall(text))):
        included = root / path
        digest.update(path.encode() + b"\0" + (included.read_bytes() if included.exists() else b""))
    return digest.hexdigest()


def write(
    pages: dict[str, dict],
    harness_passed: bool,
    passed: bool,
    record: Path = RECORD,
    root: Path = ROOT,
    **facts,
) -> dict:
    """Write the record of a run in ``root``: ``pages`` keyed by path (``docs/index.md``).

    ``facts`` override what is measured (``commit``, ``versions``…): for tests only.
    """
    data = {
        "format": FORMAT,
        "commit": commit(root),
        "dirty": dirty(root),
        "tree": tree_hash(root),
        "versions": versions(),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "passed": passed,
        "harness_passed": harness_passed,
        "pages": pages,
        **facts,
    }
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    return data


def read(record: Path = RECORD) -> dict | None:
    try:
        data = json.loads(record.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == FORMAT else None


@dataclass(frozen=True)
class Verdict:
    verified: bool
    reason: str  # why not, or what vouches for it


@dataclass(frozen=True)
class Build:
    """What the page being built is: the facts a record must match."""

    commit: str | None
    tree: str
    versions: dict[str, str]

    @classmethod
    def current(cls) -> Build:
        return cls(commit(), tree_hash(), versions())


def verdict(record: dict | None, build: Build, page: str, digest: str) -> Verdict:
    """Whether ``record`` vouches for ``page`` (``docs/…``) in ``build``.

    Examples:
        >>> build = Build("abc", "tree", {"python": "3.11.7"})
        >>> verdict(None, build, "docs/index.md", "h").reason
        'no doc-test run is recorded (.ci-artifacts/verified-run.json)'
        >>> record = {"commit": "abc", "tree": "tree", "versions": {"python": "3.11.7"},
        ...           "harness_passed": True,
        ...           "pages": {"docs/index.md": {"sha256": "h", "passed": False}}}
        >>> verdict(record, build, "docs/index.md", "h").reason
        'this page failed in the recorded doc-test run'
    """
    if record is None:
        return Verdict(False, f"no doc-test run is recorded ({RECORD.relative_to(ROOT)})")
    if record.get("commit") != build.commit:
        return Verdict(False, f"the recorded doc-test run is of commit {record.get('commit')}")
    if record.get("versions") != build.versions:
        return Verdict(False, f"the recorded doc-test run used {record.get('versions')}")
    if record.get("tree") != build.tree:
        return Verdict(
            False, "the code, the snippets or the harness changed since the recorded run"
        )
    if not record.get("harness_passed"):
        return Verdict(False, "the doc-test harness's own tests failed in the recorded run")
    entry = record.get("pages", {}).get(page)
    if entry is None:
        return Verdict(False, "this page was not tested in the recorded doc-test run")
    if entry.get("sha256") != digest:
        return Verdict(False, "this page changed since the recorded doc-test run")
    if not entry.get("passed"):
        return Verdict(False, "this page failed in the recorded doc-test run")
    return Verdict(True, f"doc-test run of {record.get('finished', 'an unknown time')}")
