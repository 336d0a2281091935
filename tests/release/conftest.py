"""Fixtures of the release tests: scratch repositories (see :mod:`tests.release.scratch`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.release.scratch import scratch_repository


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """A scratch repository of this checkout with the project URLs filled in."""
    return scratch_repository(tmp_path / "repo")


@pytest.fixture
def scratch_with_placeholders(tmp_path: Path) -> Path:
    """A scratch repository of this checkout as it is: URLs still placeholders."""
    return scratch_repository(tmp_path / "repo", real_urls=False)
