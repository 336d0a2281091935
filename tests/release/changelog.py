"""The changelog check: a released version must have its entry in CHANGELOG.md.

The file follows Keep a Changelog (https://keepachangelog.com/en/1.1.0/): an
``## [Unreleased]`` section on top, then one ``## [X.Y.Z] - YYYY-MM-DD`` section per
release, newest first.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

from tests.release.project import ROOT, ReleaseError

CHANGELOG = ROOT / "CHANGELOG.md"
UNRELEASED = "Unreleased"
_HEADING = re.compile(r"^## \[(?P<name>[^\]]+)\](?P<rest>[^\n]*)$", re.MULTILINE)
_DATE = re.compile(r"^ - (?P<date>\d{4}-\d{2}-\d{2})(?: \[YANKED\])?\s*$")


@dataclass(frozen=True)
class Entry:
    """One ``## [name] - date`` section: ``date`` is None for ``[Unreleased]``."""

    name: str
    date: datetime.date | None
    body: str


def is_release(version: str) -> bool:
    """True for a version that gets published: no ``.devN`` and no ``+local`` part.

    Examples:
        >>> is_release("0.2.0"), is_release("0.2.0rc1")
        (True, True)
        >>> is_release("0.2.1.dev3+g1a2b3c4"), is_release("0.0.0+unknown")
        (False, False)
    """
    parsed = Version(version)
    return not parsed.is_devrelease and parsed.local is None


def entries(text: str) -> list[Entry]:
    """The sections of a Keep a Changelog text, in file order.

    Examples:
        >>> text = "# Changelog\\n## [Unreleased]\\n## [0.2.0] - 2026-12-01\\n### Added\\n- x\\n"
        >>> [(e.name, str(e.date), e.body) for e in entries(text)]
        [('Unreleased', 'None', ''), ('0.2.0', '2026-12-01', '### Added\\n- x')]
    """
    headings = list(_HEADING.finditer(text))
    found = []
    for heading, following in zip(headings, [*headings[1:], None], strict=True):
        end = following.start() if following else len(text)
        date = _DATE.match(heading["rest"])
        found.append(
            Entry(
                name=heading["name"],
                date=datetime.date.fromisoformat(date["date"]) if date else None,
                body=text[heading.end() : end].strip(),
            )
        )
    return found


def _same_version(name: str, version: str) -> bool:
    try:
        return Version(name) == Version(version)
    except InvalidVersion:
        return False


def require_entry(version: str, path: Path = CHANGELOG) -> Entry:
    """The changelog entry of ``version``, or :class:`ReleaseError` naming the file."""
    if not path.is_file():
        raise ReleaseError(f"{path.name} is missing: add it (Keep a Changelog format).")
    found = entries(path.read_text(encoding="utf-8"))
    if not any(entry.name == UNRELEASED for entry in found):
        raise ReleaseError(f"{path.name} has no '## [{UNRELEASED}]' section: keep one on top.")
    matching = [entry for entry in found if _same_version(entry.name, version)]
    today = datetime.date.today().isoformat()
    if not matching:
        raise ReleaseError(
            f"{path.name} has no entry for version {version}: add a section "
            f"'## [{version}] - {today}' with this release's changes (move them from "
            f"'## [{UNRELEASED}]'), commit it, and tag that commit v{version}."
        )
    entry = matching[0]
    if entry.date is None:
        raise ReleaseError(
            f"{path.name}: the entry for {version} has no date; write its heading as "
            f"'## [{entry.name}] - {today}'."
        )
    if not entry.body:
        raise ReleaseError(f"{path.name}: the entry for {version} is empty; list its changes.")
    return entry
