"""The support matrix, run for real: fresh venvs made as the Install page says, then the
Quickstart's own code (see :mod:`tests.install.matrix` for the cases)."""

from __future__ import annotations

import contextlib
import os
import re
import sys
from importlib.metadata import version
from urllib.parse import urlsplit

import pytest

from tests.docs.install import VENVS, Recipe, Venv, interpreter
from tests.docs.normalize import normalize
from tests.install import matrix, registry
from tests.install.journey import (
    QUICKSTART_MODEL,
    client_command,
    quickstart_program,
    server_command,
)

EXPERIMENT_LINK = re.compile(r"(#/experiments/)\d+")
MLFLOW_2_CODE = matrix.ROOT / "snippets" / "install" / "mlflow2_code.py"


def python_for(version: str) -> str:
    """The interpreter for ``version``: this one if it is that version (so the Install
    page's own blocks and these tests share their venvs), else one found on the machine."""
    if f"{sys.version_info.major}.{sys.version_info.minor}" == version:
        return sys.executable
    found = interpreter(version)
    if found is None:
        missing = f"no Python {version} on this machine (pyenv install {version})"
        if os.environ.get("CI"):  # CI's machine has them all: there, a missing one fails
            pytest.fail(missing, pytrace=False)
        pytest.skip(missing)
    return found


def recipe(case: matrix.Case) -> Recipe:
    """The venv a case's client runs in."""
    if case.id == "mlflow-2-client":
        return Recipe(f"python -m pip install {matrix.MLFLOW_2!r}", python_for(case.python))
    first = f'"{case.client}"' if case.client else ""
    return Recipe(client_command(), python_for(case.python), first)


def server_recipe(case: matrix.Case) -> Recipe:
    first = f'"{case.server}"' if case.server else ""
    return Recipe(server_command(), python_for(case.python), first)


def recipes(case: matrix.Case) -> list[Recipe]:
    """Every venv the case needs (prefetched by conftest.py in the background)."""
    return [recipe(case)] + ([] if case.server == "session" else [server_recipe(case)])


def mlflow_version(venv: Venv, tmp_path) -> str:
    result = venv.run(
        "python -c 'from importlib.metadata import version; print(version(\"mlflow\"))'", tmp_path
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def python_version(venv: Venv, tmp_path) -> str:
    result = venv.run("python -c 'import platform; print(platform.python_version())'", tmp_path)
    return result.stdout.strip()


def run_quickstart(venv: Venv, exports: dict[str, str], tmp_path) -> None:
    program, expected = quickstart_program()
    (tmp_path / "quickstart.py").write_text(program)
    # The reader's shell does not quieten MLflow (the tests do): the page shows its run links.
    reader = {**exports, "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT": "false"}
    with registry.without_model(exports, QUICKSTART_MODEL):
        result = venv.run("python quickstart.py", tmp_path, **reader)
    assert result.returncode == 0, (
        f"the Quickstart failed:\n{result.stdout}\n{result.stderr[-4000:]}"
    )
    # The run links name this registry's port, and the id its "quickstart" experiment got
    # here (the reader's new registry gives it 1, as the page shows).
    port = [urlsplit(exports["MLFLOW_TRACKING_URI"]).port or 80]
    got, shown = (EXPERIMENT_LINK.sub(r"\1<id>", normalize(text, port)) for text in
                  (result.stdout, expected))  # fmt: skip
    assert got == shown, result.stderr[-2000:]


def run_mlflow2_code(venv: Venv, exports: dict[str, str], tmp_path) -> None:
    """Code written for MLflow 2.x, by MLflow 2.9.0 without the SDK: the key goes as
    MLflow's own bearer token (MLFLOW_TRACKING_TOKEN), as the Authentication page says."""
    with registry.without_model(exports, "mlflow2-code"):
        result = venv.run(
            f"python {MLFLOW_2_CODE}",
            tmp_path,
            MLFLOW_TRACKING_URI=exports["MLFLOW_TRACKING_URI"],
            MLFLOW_TRACKING_TOKEN=exports["HOKUSAI_API_KEY"],
            HOKUSAI_API_KEY="",
        )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr[-4000:]}"
    assert result.stdout == MLFLOW_2_CODE.with_suffix(".out").read_text()


@pytest.mark.parametrize("case", matrix.CASES, ids=lambda case: case.id)
def test_matrix(case: matrix.Case, local_registry, tmp_path):
    if case.axis not in matrix.AXES:
        pytest.skip(f"the {case.axis} axis runs in `nox -s compat`")
    client = VENVS.install(recipe(case))
    server = None if case.server == "session" else VENVS.install(server_recipe(case))
    matrix.record(  # before the run: a failing case is recorded too
        matrix.Result(
            case.id,
            python_version(client, tmp_path),
            mlflow_version(client, tmp_path),
            version("mlflow") if server is None else mlflow_version(server, tmp_path),
            case.what,
        )
    )
    with contextlib.ExitStack() as stack:
        if server is None:
            exports = registry.session_exports()  # the session's registry runs from this venv
        else:
            exports = stack.enter_context(registry.local_up(server))
        if case.id == "mlflow-2-client":
            run_mlflow2_code(client, exports, tmp_path)
        else:
            run_quickstart(client, exports, tmp_path)
