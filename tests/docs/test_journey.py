"""One journey: the README's main command, the Install page and the Quickstart agree.

The Quickstart itself runs as one reader's session (``tests/docs/session.py``); this
checks the joints around it that a session cannot run: the README's main command is
``nox -s serve``, that session builds the environment the Quickstart activates and
leaves port 5000 to the Quickstart's ``hokusai local up --detach`` (its docs runner's
registry takes a free port),
and the activation line the Quickstart shows is the one for that environment.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

from sybil import Document

from tests.docs.lexers import fences

ROOT = Path(__file__).resolve().parents[2]
MAIN_COMMAND = re.compile(
    r'^python3 -m pip install "nox\[uv\]>=[\d.]+" && python3 -m nox -s (\w+)$'
)


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```bash\n(.*?)```", text, re.S).group(1)
    return [line for line in block.splitlines() if line and not line.startswith("#")]


def _session(name: str) -> ast.FunctionDef:
    tree = ast.parse((ROOT / "noxfile.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node
    raise AssertionError(f"noxfile.py has no session {name!r}")


def test_the_readme_main_command_serves_the_docs():
    first = MAIN_COMMAND.match(_readme_commands()[0])
    assert first and first.group(1) == "serve", _readme_commands()[0]


def test_the_serve_session_leaves_port_5000_and_prints_the_activation():
    session = _session("serve")
    code = session.body[1:] if ast.get_docstring(session) else session.body
    source = "\n".join(ast.unparse(statement) for statement in code)
    # Its registry is the docs runner's, on a free port (tests/docs/runner.py, stack.Starter):
    # the Quickstart's `hokusai local up --detach` takes port 5000.
    assert "'tests.docs.runner'" in source, source
    assert "local up" not in source and "5000" not in source, "the Quickstart takes port 5000"
    assert "bin' / 'activate'" in source or "bin/activate" in source, source


def test_the_quickstart_activates_the_environment_serve_builds():
    page = ROOT / "docs" / "quickstart.md"
    blocks = [f.source.strip() for f in fences(Document(page.read_text(), str(page)))]
    # nox keeps a session's environment in .nox/<session>; uv's venvs have bin/activate.
    assert "source .nox/serve/bin/activate" in blocks
    assert (Path(sys.executable).parent / "activate").exists(), "this nox venv has no activate"


def test_the_quickstart_starts_and_stops_its_own_registry():
    page = (ROOT / "docs" / "quickstart.md").read_text()
    assert "$ hokusai local up --detach" in page and "$ hokusai local down" in page
