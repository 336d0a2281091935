"""Check that ``nox -s lowest`` runs each dependency at the lower bound pyproject.toml
states (``python -m tests.install.lowest``): a bound that is not what runs is not tested.

Prints one line per requirement of the base install and the ``server`` extra, and
exits 1 if an installed version is not the bound's version.
"""

from __future__ import annotations

import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]


def lower_bounds() -> dict[str, Version]:
    """``{distribution: lowest allowed version}`` of the base and ``server`` requirements."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    bounds = {}
    for line in [*project["dependencies"], *project["optional-dependencies"]["server"]]:
        requirement = Requirement(line)
        for spec in requirement.specifier:
            if spec.operator in (">=", "=="):
                bounds[requirement.name] = Version(spec.version)
    return bounds


def main() -> int:
    wrong = 0
    for name, bound in sorted(lower_bounds().items()):
        installed = Version(version(name))
        same = installed == bound
        wrong += not same
        print(
            f"{name:20} bound {bound!s:10} installed {installed!s:10} {'ok' if same else 'NOT THE BOUND'}"
        )
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
