"""Evaluators for the executed kinds of block (see :mod:`tests.docs.blocks`).

Every failure names the page and the line of the block (and, for snippets, the
snippet file and its line, from the snippet's own traceback).
"""

from __future__ import annotations

import contextlib
import difflib
import io
import os
import subprocess
import sys
from pathlib import Path

from sybil import Example
from sybil.evaluators.python import pad

from tests.docs.console import parse_console
from tests.docs.lexers import Fence
from tests.docs.normalize import for_display, normalize
from tests.docs.warm import WarmInterpreter

ROOT = Path(__file__).resolve().parents[2]
LAST_OUTPUT = "__last_output__"
SNIPPET_OUTPUTS = "__snippet_outputs__"
WORKDIR = "__workdir__"
PORTS = "__ports__"  # ports of registries a page started itself (see normalize.py)
UPDATE_GOLDENS = os.environ.get("HOKUSAI_UPDATE_GOLDENS") == "1"
TIMEOUT = 600
WARM = WarmInterpreter()  # started by the plugin when pages are collected


class DocBlockError(AssertionError):
    """A documented block did not do what its page says."""


def block_environment(warm: bool = True) -> dict[str, str]:
    """The environment of shell blocks and snippets: the test's, with this venv's
    ``bin`` first on PATH so ``hokusai`` resolves as in an activated venv, and before
    it (unless ``warm=False``) the warm interpreter's ``python``/``hokusai`` (see
    `tests.docs.warm`)."""
    env = dict(os.environ)
    warm = WARM.environment() if warm else {}
    path = [warm.pop("PATH", ""), str(Path(sys.executable).parent), env.get("PATH", "")]
    env.update(warm)
    env["PATH"] = os.pathsep.join(p for p in path if p)
    return env


def where(example: Example) -> str:
    return f"{os.path.relpath(example.path, ROOT)}:{example.line}"


def _diff(expected: str, actual: str) -> str:
    return "\n".join(
        difflib.unified_diff(
            expected.splitlines(),
            actual.splitlines(),
            "shown on the page",
            "actually printed",
            lineterm="",
        )
    )


def harness_ports(namespace: dict) -> set[int]:
    """Ports of the registries the harness runs for this page: shown as the reader's."""
    ports = set(namespace.get(PORTS, ()))
    registry = namespace.get("local_registry")
    if registry is not None:
        ports.add(registry.port)
    return ports


def compare(location: str, expected: str, actual: str, what: str, ports=()) -> None:
    """Raise, naming ``location`` (page:line), unless the output is the one shown."""
    __tracebackhide__ = True
    shown, printed = normalize(expected), normalize(actual, ports)
    if shown != printed:
        raise DocBlockError(
            f"{location}: {what} differs from what actually printed "
            f"(volatile ids are normalised by tests/docs/normalize.py):\n" + _diff(shown, printed)
        )


def check_output(example: Example, expected: str, actual: str, what: str) -> None:
    __tracebackhide__ = True
    compare(where(example), expected, actual, what, harness_ports(example.namespace))


def evaluate_python(example: Example) -> None:
    __tracebackhide__ = True
    fence: Fence = example.parsed
    source = pad(fence.source, example.line)
    code = compile(source, example.path, "exec", dont_inherit=True)
    buffer = io.StringIO()
    previous = os.getcwd()
    os.chdir(example.namespace[WORKDIR])
    try:
        with contextlib.redirect_stdout(buffer):
            exec(code, example.namespace)
    finally:
        os.chdir(previous)
        example.namespace.pop("__builtins__", None)
        example.namespace[LAST_OUTPUT] = buffer.getvalue()
        sys.stdout.write(buffer.getvalue())


def _bash(script: str, example: Example) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        cwd=example.namespace[WORKDIR],
        env=block_environment(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def _failed(example: Example, result: subprocess.CompletedProcess, what: str) -> DocBlockError:
    return DocBlockError(
        f"{where(example)}: {what} exited with {result.returncode}\n"
        f"--- stdout\n{result.stdout[-4000:]}\n--- stderr\n{result.stderr[-4000:]}"
    )


def evaluate_shell(example: Example) -> None:
    __tracebackhide__ = True
    fence: Fence = example.parsed
    result = _bash(fence.expanded, example)
    if result.returncode:
        raise _failed(example, result, "bash block")
    example.namespace[LAST_OUTPUT] = result.stdout


def evaluate_console(example: Example) -> None:
    __tracebackhide__ = True
    fence: Fence = example.parsed
    marker = "@@hokusai-docs-command@@"
    commands = parse_console(fence.expanded)
    script = "\n".join(f"echo {marker}\n{command}" for command, _ in commands)
    result = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", f"exec 2>&1\n{script}"],
        cwd=example.namespace[WORKDIR],
        env=block_environment(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    outputs = result.stdout.split(marker + "\n")[1:]
    if result.returncode:
        raise _failed(example, result, f"console command {commands[len(outputs) - 1][0]!r}")
    for (command, expected), actual in zip(commands, outputs, strict=True):
        check_output(example, expected, actual, f"output of $ {command}")
    example.namespace[LAST_OUTPUT] = result.stdout


def evaluate_output(example: Example) -> None:
    __tracebackhide__ = True
    fence: Fence = example.parsed
    actual = example.namespace.get(LAST_OUTPUT)
    if actual is None:
        raise DocBlockError(f"{where(example)}: an output block must follow an executed block")
    check_output(example, fence.expanded, actual, "output block")


def run_snippet(example: Example, path: str) -> str:
    """Run a snippet file whole (once per page) and return what it printed."""
    __tracebackhide__ = True
    outputs: dict[str, str] = example.namespace.setdefault(SNIPPET_OUTPUTS, {})
    if path not in outputs:
        command = ["bash", "-e", "-o", "pipefail"] if path.endswith(".sh") else ["python"]
        result = subprocess.run(
            [*command, str(ROOT / path)],
            cwd=example.namespace[WORKDIR],
            env=block_environment(),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
        if result.returncode:
            raise _failed(example, result, f"snippet {path} (included here)")
        outputs[path] = result.stdout
    return outputs[path]


def evaluate_include(example: Example) -> None:
    __tracebackhide__ = True
    fence: Fence = example.parsed
    for target in fence.includes:
        path = target.split(":")[0]
        if path.endswith(".out"):
            _compare_golden(example, path)
        else:
            run_snippet(example, path)


def _compare_golden(example: Example, golden: str) -> None:
    __tracebackhide__ = True
    script = next(
        (
            golden[: -len(".out")] + ext
            for ext in (".py", ".sh")
            if (ROOT / (golden[:-4] + ext)).exists()
        ),
        None,
    )
    if script is None:
        raise DocBlockError(f"{where(example)}: {golden} has no .py or .sh beside it")
    actual = run_snippet(example, script)
    if UPDATE_GOLDENS:
        (ROOT / golden).write_text(for_display(actual, harness_ports(example.namespace)))
        return
    check_output(
        example, (ROOT / golden).read_text(), actual, f"{golden} (run `nox -s update` if intended)"
    )
