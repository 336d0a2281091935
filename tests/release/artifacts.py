"""What the sdist and the wheel must hold, and what they must not.

* The sdist holds every tracked file under the paths ``pyproject.toml`` includes
  (``[tool.hatch.build.targets.sdist] include``): all a rebuild and a test run need. It
  holds no file git does not track, so no local data (``.hokusai/``), build output or
  scratch file can ship.
* The wheel holds the ``hokusai`` package (every tracked file of ``src/hokusai``) and
  its ``.dist-info`` (with ``licenses/LICENSE``, and every script and entry point
  ``pyproject.toml`` declares: the ``hokusai`` command, the MLflow plugins), nothing
  else: no tests, no data, no byte code.
"""

from __future__ import annotations

import configparser
import fnmatch
import tarfile
import zipfile
from pathlib import Path

from tests.release.project import ARTIFACT_PREFIX, ROOT, git, pyproject

FORBIDDEN = ["*/.hokusai/*", ".hokusai/*", "*__pycache__*", "*.pyc", ".git/*", "*/.nox/*"]
# Files hatchling writes into every sdist besides the included ones.
SDIST_GENERATED = {"PKG-INFO", ".gitignore"}
_ALWAYS_IN_SDIST = ["pyproject.toml", "README.md", "LICENSE", "CHANGELOG.md"]


def _tracked(root: Path, *paths: str) -> set[str]:
    return set(git("ls-files", "--", *paths, root=root).splitlines())


def _unwanted(members: set[str], tracked: set[str], what: str) -> list[str]:
    """One line per member that is local data or byte code (even if committed by
    mistake), or that git does not track."""
    problems = []
    for name in sorted(members):
        if any(fnmatch.fnmatch(name, pattern) for pattern in FORBIDDEN):
            problems.append(f"{what} holds {name}")
        elif name not in tracked:
            problems.append(f"{what} holds {name}, which git does not track")
    return problems


def declared_entry_points(root: Path = ROOT) -> list[tuple[str, str, str]]:
    """``(group, name, object)`` for every script and entry point of ``pyproject.toml``."""
    project = pyproject(root)["project"]
    groups = {"console_scripts": project.get("scripts", {}), **project.get("entry-points", {})}
    return [(group, n, v) for group, table in groups.items() for n, v in table.items()]


def sdist_members(sdist: Path) -> set[str]:
    """File names in the sdist, without the ``name-version/`` folder they sit in."""
    with tarfile.open(sdist) as archive:
        return {m.name.split("/", 1)[1] for m in archive.getmembers() if m.isfile()}


def wheel_members(wheel: Path) -> set[str]:
    """File names in the wheel."""
    with zipfile.ZipFile(wheel) as archive:
        return {name for name in archive.namelist() if not name.endswith("/")}


def sdist_problems(sdist: Path, root: Path = ROOT) -> list[str]:
    """What is wrong with ``sdist`` (built from ``root``); empty when nothing is."""
    members = sdist_members(sdist)
    included = pyproject(root)["tool"]["hatch"]["build"]["targets"]["sdist"]["include"]
    wanted = _tracked(root, *(path.lstrip("/") for path in included))
    problems = [
        f"sdist lacks {name} (tracked, included by pyproject.toml)"
        for name in sorted(wanted - members)
    ]
    problems += [f"sdist lacks {name}" for name in _ALWAYS_IN_SDIST if name not in members]
    return problems + _unwanted(members - SDIST_GENERATED, _tracked(root), "sdist")


def wheel_problems(wheel: Path, version: str, root: Path = ROOT) -> list[str]:
    """What is wrong with ``wheel`` (of ``version``, built from ``root``)."""
    members = wheel_members(wheel)
    dist_info = f"{ARTIFACT_PREFIX}-{version}.dist-info/"
    package = {name.removeprefix("src/") for name in _tracked(root, "src/hokusai")}
    problems = [f"wheel lacks {name}" for name in sorted(package - members)]
    outside = {m for m in members if not m.startswith(("hokusai/", dist_info))}
    problems += [
        f"wheel holds {name}, outside hokusai/ and its dist-info" for name in sorted(outside)
    ]
    in_package = {m for m in members if m.startswith("hokusai/")}
    problems += _unwanted(in_package, package, "wheel")
    if f"{dist_info}licenses/LICENSE" not in members:
        problems.append(f"wheel lacks {dist_info}licenses/LICENSE")
    with zipfile.ZipFile(wheel) as archive:
        entry_points = configparser.ConfigParser(delimiters=["="])
        entry_points.optionxform = str  # type: ignore[assignment,method-assign]  # keep case
        entry_points.read_string(archive.read(f"{dist_info}entry_points.txt").decode())
        metadata = archive.read(f"{dist_info}METADATA").decode()
    for group, name, value in declared_entry_points(root):
        if entry_points.get(group, name, fallback=None) != value:
            problems.append(f"wheel's entry_points.txt lacks [{group}] {name} = {value}")
    if f"\nVersion: {version}\n" not in metadata:
        problems.append(f"wheel's METADATA does not say Version: {version}")
    return problems
