"""The support matrix: which Python and MLflow versions the install tests run on.

``nox -s compat`` runs every case; ``nox -s tests``, and so CI, the first two axes:

* **python**: the Install page's client install on every supported Python, then the
  Quickstart's register, look-up and load code against the session's registry;
* **server**: ``hokusai local up`` from the Install page's server install (MLflow as
  pip picks it: the newest), and the Quickstart's code against it;
* **mlflow**: the lowest MLflow that pyproject.toml allows, for the client and for the
  server, and plain code written for MLflow 2.x, run by MLflow 2.9.0 (without this
  package) through the gateway.

Each finished case is recorded (:func:`record`); ``nox -s compat`` writes the record
that the Install page shows (``snippets/install/compat.json``).
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import tomllib
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHONS = ("3.11", "3.12", "3.13")
MLFLOW_2 = "mlflow==2.9.0"  # the seed user's MLflow, on Python 3.11
RECORD = ROOT / "snippets" / "install" / "compat.json"
AXES = os.environ.get("HOKUSAI_COMPAT_AXES", "python,server").split(",")  # compat: all


def lowest_mlflow(extra: str = "") -> str:
    """``mlflow==X``: the lowest MLflow pyproject.toml allows, for the base install or
    with ``extra`` (the highest of the ``mlflow>=X`` bounds that then apply).

    Examples:
        >>> lowest_mlflow(), lowest_mlflow("server")
        ('mlflow==3.4', 'mlflow==3.13')
    """
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + project["optional-dependencies"].get(extra, [])
    bounds = [
        match.group(1)
        for match in (re.fullmatch(r"mlflow>=([\d.]+)", r.replace(" ", "")) for r in requirements)
        if match
    ]
    assert bounds, "pyproject.toml has no mlflow>=X requirement"
    return f"mlflow=={max(bounds, key=lambda v: tuple(map(int, v.split('.'))))}"


@dataclass(frozen=True)
class Case:
    """One cell of the matrix: who runs what against which server."""

    id: str
    axis: str
    python: str
    client: str  # the mlflow requirement installed before the client install ("": pip's pick)
    server: str  # "session": the test session's registry; else the mlflow pin of a server venv
    what: str


CASES = [
    *(
        Case(f"python-{v}", "python", v, "", "session", "client install, Quickstart")
        for v in PYTHONS
    ),
    Case("server-newest", "server", "3.11", "", "", "server install, local up, Quickstart"),
    Case("mlflow-client-lowest", "mlflow", "3.11", lowest_mlflow(), "session", "client install, Quickstart"),
    Case("mlflow-server-lowest", "mlflow", "3.11", "", lowest_mlflow("server"), "server install, local up, Quickstart"),
    Case("mlflow-2-client", "mlflow", "3.11", MLFLOW_2, "session", "MLflow 2.x code, no SDK, token"),
]  # fmt: skip


@dataclass
class Result:
    """What a case ran with, and how it ended."""

    case: str
    python: str
    mlflow_client: str
    mlflow_server: str
    what: str
    outcome: str = "failed"


_results: dict[str, Result] = {}


def record(result: Result) -> None:
    _results[result.case] = result


def finish(outcomes: dict[str, str]) -> None:
    """Write the record (``HOKUSAI_COMPAT_RECORD``: its path) with each case's outcome."""
    path = os.environ.get("HOKUSAI_COMPAT_RECORD")
    if not path or not _results:
        return
    for case, outcome in outcomes.items():
        if case in _results:
            _results[case].outcome = outcome
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    document = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "commit": commit,
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores",
        "harness_python": platform.python_version(),
        "results": [asdict(_results[c.id]) for c in CASES if c.id in _results],
    }
    Path(path).write_text(json.dumps(document, indent=2) + "\n")
    print(f"\ncompat record written to {path}", file=sys.stderr)
