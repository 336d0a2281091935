"""What the install tests run in a reader's environment, taken from the pages themselves.

* `client_command`: the Install page's client install block, as shown;
* `quickstart_program`: the Quickstart's Python files (register.py, lookup.py) as
  one program, with the output the page shows for them.
"""

from __future__ import annotations

import re
from pathlib import Path

from sybil import Document

from tests.docs.blocks import Kind, classify
from tests.docs.console import parse_console
from tests.docs.lexers import Fence, fences

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART_MODEL = "quickstart-lead-scorer"
RUN_FILE = re.compile(r"python (?P<file>[\w.-]+\.py)")
MLFLOW_LOG = re.compile(r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d [A-Z]+ mlflow")


def page_fences(page: str) -> list[tuple[Kind, Fence]]:
    path = ROOT / "docs" / page
    return [(classify(f), f) for f in fences(Document(path.read_text(), str(path)))]


def install_commands(page: str) -> list[str]:
    """The page's install blocks, as shown."""
    return [fence.source for kind, fence in page_fences(page) if kind is Kind.INSTALL]


def client_command() -> str:
    """The Install page's first install block: the client install (`.`, no extra)."""
    command = install_commands("install.md")[0]
    assert command.strip() == "python -m pip install .", f"not the client install: {command!r}"
    return command


def server_command() -> str:
    """The Install page's install block with the ``server`` extra."""
    return next(c for c in install_commands("install.md") if ".[server]" in c)


def quickstart_program() -> tuple[str, str]:
    """(program, expected output): the Python files the Quickstart has its reader save
    (``title="name.py"``: the block's code or the snippet it includes), in the order its
    ``$ python name.py`` commands run them, and what the page shows those print.

    MLflow's own log lines (stderr, ``2026/11/23 10:15:42 INFO mlflow…``) are left out
    of the expected output: whether MLflow announces a new experiment depends on the
    cases that ran before against the same registry."""
    files: dict[str, str] = {}
    program, expected = [], []
    for kind, fence in page_fences("quickstart.md"):
        name = fence.attributes.get("title", "")
        if kind in (Kind.PYTHON, Kind.INCLUDE) and name.endswith(".py"):
            files[name] = fence.expanded
        elif kind is Kind.CONSOLE:
            for command, output in parse_console(fence.expanded):
                run = RUN_FILE.fullmatch(command.strip())
                if run is not None:
                    program.append(files[run.group("file")])
                    shown = [line for line in output.splitlines() if not MLFLOW_LOG.match(line)]
                    expected += [line + "\n" for line in shown]
    assert program, "the Quickstart runs no Python file with `$ python <file>.py`"
    return "\n".join(program), "".join(expected)
