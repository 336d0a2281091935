"""The changelog check: each way an entry can be missing or unfit, and the real file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.release.changelog import CHANGELOG, UNRELEASED, entries, require_entry
from tests.release.project import ReleaseError

HEAD = "# Changelog\n\n## [Unreleased]\n\n"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "CHANGELOG.md"
    path.write_text(text)
    return path


def test_the_entry_of_a_release_is_found(tmp_path: Path):
    path = write(tmp_path, HEAD + "## [0.2.0] - 2026-12-01\n\n### Fixed\n\n- a bug\n")
    entry = require_entry("0.2.0", path)
    assert (entry.name, entry.date.isoformat(), entry.body) == (
        "0.2.0",
        "2026-12-01",
        "### Fixed\n\n- a bug",
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (HEAD + "## [0.1.0] - 2026-01-01\n- x\n", "CHANGELOG.md has no entry for version 0.2.0"),
        (
            "# Changelog\n\n## [0.2.0] - 2026-12-01\n- x\n",
            "CHANGELOG.md has no '## [Unreleased]' section",
        ),
        (HEAD + "## [0.2.0]\n- x\n", "CHANGELOG.md: the entry for 0.2.0 has no date"),
        (HEAD + "## [0.2.0] - 2026-12-01\n\n", "CHANGELOG.md: the entry for 0.2.0 is empty"),
    ],
    ids=["no entry", "no Unreleased", "no date", "empty"],
)
def test_an_unfit_changelog_fails_naming_the_file(tmp_path: Path, text: str, message: str):
    with pytest.raises(ReleaseError, match="^" + message.replace("[", r"\[")):
        require_entry("0.2.0", write(tmp_path, text))


def test_a_missing_changelog_fails_naming_the_file(tmp_path: Path):
    with pytest.raises(ReleaseError, match=r"^CHANGELOG\.md is missing"):
        require_entry("0.2.0", tmp_path / "CHANGELOG.md")


def test_versions_compare_as_versions_not_strings(tmp_path: Path):
    path = write(tmp_path, HEAD + "## [1.0.0-rc.1] - 2026-12-01\n- x\n")
    assert require_entry("1.0.0rc1", path).name == "1.0.0-rc.1"


def test_the_projects_changelog_follows_the_format():
    found = entries(CHANGELOG.read_text())
    assert found[0].name == UNRELEASED and found[0].body
    assert all(entry.date for entry in found[1:]), "every release section has a date"
