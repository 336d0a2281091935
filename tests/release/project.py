"""Facts about the checkout being released: its pyproject, its git state, its tools."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DIST_NAME = "hokusai-ml-platform"
ARTIFACT_PREFIX = "hokusai_ml_platform"  # the distribution name as artifact files spell it


class ReleaseError(Exception):
    """A release step refused: the message says what is wrong and what to do."""


def _load_hook(root: Path) -> ModuleType:
    # The mkdocs hook defines the URL rule the site uses; load it by path (mkdocs does
    # the same) so that the build and the site read one definition.
    path = root / "docs" / "hooks" / "release.py"
    spec = importlib.util.spec_from_file_location("hokusai_docs_release_hook", path)
    assert spec and spec.loader, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pyproject(root: Path = ROOT) -> dict[str, Any]:
    """``pyproject.toml`` of the checkout at ``root``, parsed."""
    with (root / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)


def require_real_urls(root: Path = ROOT) -> dict[str, str]:
    """The project URLs, or :class:`ReleaseError` while any is still a placeholder."""
    hook = _load_hook(root)
    urls = hook.project_urls(root / "pyproject.toml")
    placeholders = hook.placeholder_urls(urls)
    if placeholders:
        raise ReleaseError(
            f"pyproject.toml: [project.urls] {', '.join(placeholders)} still contain "
            f"{hook.PLACEHOLDER!r}. Put in the project's real addresses (the repository "
            "and the documentation site) before releasing; see 'Releasing' in "
            "CONTRIBUTING.md."
        )
    return urls


def supported_pythons(root: Path = ROOT) -> list[str]:
    """The ``X.Y`` Python versions the classifiers claim.

    Examples:
        >>> supported_pythons()
        ['3.11', '3.12', '3.13']
    """
    prefix = "Programming Language :: Python :: "
    versions = [c.removeprefix(prefix) for c in pyproject(root)["project"]["classifiers"]]
    return [v for v in versions if v.count(".") == 1 and v.replace(".", "").isdigit()]


def git(*args: str, root: Path = ROOT) -> str:
    """Run git in ``root``; its stdout, stripped. Raises ReleaseError when git fails."""
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    if result.returncode != 0:
        raise ReleaseError(f"git {' '.join(args)} failed in {root}: {result.stderr.strip()}")
    return result.stdout.strip()


def head_commit(root: Path = ROOT) -> str:
    """The full id of the checked-out commit."""
    return git("rev-parse", "HEAD", root=root)


def uncommitted_changes(root: Path = ROOT) -> list[str]:
    """``git status --porcelain`` lines: changed or untracked files (ignored ones not)."""
    return git("status", "--porcelain", root=root).splitlines()


def uv() -> str:
    """The uv executable: ``$UV`` (the nox sessions pass theirs), this venv's, or PATH's."""
    here = Path(sys.executable).parent / "uv"
    found = os.environ.get("UV") or (str(here) if here.exists() else shutil.which("uv"))
    if not found:
        raise ReleaseError("uv not found: install it (python3 -m pip install uv) or set $UV")
    return found
