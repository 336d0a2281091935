"""Scratch repositories for the release tests: this checkout's files, new git history.

A scratch repository holds the files of the working tree (tracked and untracked, not
ignored, as they are now, so uncommitted work is tested too) in a fresh ``git init``
with one commit. Tags and releases are made there, never in the real repository.
"""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.release.project import ROOT, git

IDENTITY = {
    "GIT_AUTHOR_NAME": "Release Tests",
    "GIT_AUTHOR_EMAIL": "release-tests@localhost",
    "GIT_COMMITTER_NAME": "Release Tests",
    "GIT_COMMITTER_EMAIL": "release-tests@localhost",
}
REAL_OWNER = "hokusai-example"  # what the maintainers would put in for FILL-IN-OWNER


def environment(**extra: str) -> dict[str, str]:
    """The environment for commands in a scratch repository: git identity, this venv's
    ``bin`` first on PATH (``mkdocs``, ``mike``, ``uv``), no Hokusai or MLflow settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOKUSAI_", "MLFLOW_"))}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env | IDENTITY | extra


def _git(repo: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", *args], cwd=repo, env=environment(), capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def scratch_repository(dest: Path, *, real_urls: bool = True) -> Path:
    """A new repository at ``dest`` with this checkout's files; URLs filled in if asked."""
    files = git("ls-files", "--cached", "--others", "--exclude-standard", root=ROOT).splitlines()
    for name in files:
        source = ROOT / name
        if source.is_file():  # a file deleted in the working tree is still in the index
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    _git(dest, "init", "--quiet", "--initial-branch=main")
    if real_urls:
        pyproject = dest / "pyproject.toml"
        pyproject.write_text(pyproject.read_text().replace("FILL-IN-OWNER", REAL_OWNER))
    commit(dest, "Scratch copy of the checkout under test")
    return dest


def commit(repo: Path, message: str) -> str:
    """Commit everything in ``repo``; the new commit's id."""
    _git(repo, "add", "--all")
    _git(repo, "commit", "--quiet", "--allow-empty", "--message", message)
    return _git(repo, "rev-parse", "HEAD")


def tag(repo: Path, name: str) -> None:
    """An annotated tag on HEAD, as a maintainer makes one."""
    _git(repo, "tag", "--annotate", name, "--message", f"Release {name}")


def add_changelog_entry(repo: Path, version: str) -> None:
    """Step 1 of a release in CONTRIBUTING.md: the notes under ``## [Unreleased]`` go
    into a new ``## [version] - today`` below it; ``## [Unreleased]`` stays, empty."""
    changelog = repo / "CHANGELOG.md"
    today = datetime.date.today().isoformat()
    text = changelog.read_text()
    changelog.write_text(
        text.replace("## [Unreleased]\n", f"## [Unreleased]\n\n## [{version}] - {today}\n", 1)
    )


def release(repo: Path, version: str, *, changelog_entry: bool = True) -> str:
    """Release ``version`` the way CONTRIBUTING.md says: the changelog entry (unless
    ``changelog_entry`` is False), commit, tag."""
    if changelog_entry:
        add_changelog_entry(repo, version)
    head = commit(repo, f"Release {version}")
    tag(repo, f"v{version}")
    return head
