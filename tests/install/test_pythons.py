"""The Pythons the package claims are the Pythons the support matrix runs."""

from __future__ import annotations

import tomllib

from tests.install import matrix


def test_classifiers_name_exactly_the_tested_pythons():
    project = tomllib.loads((matrix.ROOT / "pyproject.toml").read_text())["project"]
    prefix = "Programming Language :: Python :: 3."
    claimed = tuple(
        c.removeprefix("Programming Language :: Python :: ")
        for c in project["classifiers"]
        if c.startswith(prefix)
    )
    assert claimed == matrix.PYTHONS
