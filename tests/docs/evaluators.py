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

from tests.docs.lexers import Fence
from tests.docs.normalize import for_display, normalize
from tests.docs.warm import WarmInterpreter

ROOT = Path(__file__).resolve().parents[2]
LAST_OUTPUT = "__last_output__"
SNIPPET_OUTPUTS = "__snippet_outputs__"
WORKDIR = "__workdir__"
NAMED_OUTPUTS = "__named_outputs__"  # outputs the harness captured itself, by name
VENV = "__venv__"  # the environment the page's last install block made
UPDATE_GOLDENS = os.environ.get("HOKUSAI_UPDATE_GOLDENS") == "1"
TIMEOUT = 600
WARM = WarmInterpreter()  # started by the plugin when pages are collected


class DocBlockError(AssertionError):
    """A documented block did not do what its page says."""


def block_environment(namespace: dict | None = None) -> dict[str, str]:
    """The environment of shell blocks and snippets: the test's, with this venv's
    ``bin`` first on PATH so ``hokusai`` resolves as in an activated venv, and before
    it the warm interpreter's ``python``/``hokusai`` (see :mod:`tests.docs.warm`).

    After an install block of the page, the environment that block made instead
    (see :mod:`tests.docs.install`): the page goes on where its reader is."""
    venv = (namespace or {}).get(VENV)
    if venv is not None:
        return venv.environment()
    env = dict(os.environ)
    warm = WARM.environment()
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


def check_output(example: Example, expected: str, actual: str, what: str) -> None:
    __tracebackhide__ = True
    if normalize(expected) != normalize(actual):
        raise DocBlockError(
            f"{where(example)}: {what} differs from what actually printed "
            f"(volatile ids/ports are normalised by tests/docs/normalize.py):\n"
            + _diff(normalize(expected), normalize(actual))
        )


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
        env=block_environment(example.namespace),
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
    result = _bash(fence.source, example)
    if result.returncode:
        raise _failed(example, result, "bash block")
    example.namespace[LAST_OUTPUT] = result.stdout


def parse_console(source: str) -> list[tuple[str, str]]:
    """``$ cmd`` lines (with ``\\`` continuations) and the output shown under each."""
    session: list[tuple[str, list[str]]] = []
    continuing = False
    for line in source.splitlines():
        if line.startswith("$ ") or continuing:
            text = line[2:] if not continuing else line
            if continuing:
                session[-1] = (session[-1][0] + "\n" + text, session[-1][1])
            else:
                session.append((text, []))
            continuing = text.endswith("\\")
        elif session:
            session[-1][1].append(line)
    return [(command, "\n".join(output)) for command, output in session]


def evaluate_console(example: Example) -> None:
    __tracebackhide__ = True
    fence: Fence = example.parsed
    marker = "@@hokusai-docs-command@@"
    commands = parse_console(fence.source)
    script = "\n".join(f"echo {marker}\n{command}" for command, _ in commands)
    result = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", f"exec 2>&1\n{script}"],
        cwd=example.namespace[WORKDIR],
        env=block_environment(example.namespace),
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
    name = fence.attributes.get("source")
    if name:
        actual = example.namespace[NAMED_OUTPUTS]()[name]
    else:
        actual = example.namespace.get(LAST_OUTPUT)
        if actual is None:
            raise DocBlockError(f"{where(example)}: an output block must follow an executed block")
    check_output(example, fence.source, actual, "output block")


def run_snippet(example: Example, path: str) -> str:
    """Run a snippet file whole (once per page) and return what it printed."""
    __tracebackhide__ = True
    outputs: dict[str, str] = example.namespace.setdefault(SNIPPET_OUTPUTS, {})
    if path not in outputs:
        command = ["bash", "-e", "-o", "pipefail"] if path.endswith(".sh") else ["python"]
        result = subprocess.run(
            [*command, str(ROOT / path)],
            cwd=example.namespace[WORKDIR],
            env=block_environment(example.namespace),
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
        (ROOT / golden).write_text(for_display(actual))
        return
    check_output(
        example, (ROOT / golden).read_text(), actual, f"{golden} (run `nox -s update` if intended)"
    )
