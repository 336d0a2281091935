"""What the install tests run in a reader's environment, taken from the pages themselves.

* :func:`client_command`: the Install page's client install block, as shown;
* :func:`quickstart_program`: the Quickstart's Python (the register snippet, the
  look-up and load blocks) as one program, with the output the page shows for it.
"""

from __future__ import annotations

from pathlib import Path

from sybil import Document

from tests.docs.blocks import Kind, classify
from tests.docs.lexers import Fence, fences

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART_MODEL = "quickstart-lead-scorer"


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
    """(program, expected output): the Quickstart's Python blocks and included Python
    snippets in page order, and the outputs the page shows under them."""
    program, expected = [], []
    for kind, fence in page_fences("quickstart.md"):
        files = [target.split(":")[0] for target in fence.includes]
        if kind is Kind.PYTHON:
            program.append(fence.source)
        elif kind is Kind.INCLUDE and all(f.endswith(".py") for f in files):
            program += [(ROOT / f).read_text() for f in files]
        elif kind is Kind.INCLUDE and all(f.endswith(".out") for f in files):
            expected += [(ROOT / f).read_text() for f in files]
        elif kind is Kind.OUTPUT and "source" not in fence.attributes:
            expected.append(fence.source)
    return "\n".join(program), "".join(e if e.endswith("\n") else e + "\n" for e in expected)
