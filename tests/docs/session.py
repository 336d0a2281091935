"""A page read as one reader's terminal session: the Quickstart.

A reader follows the Quickstart in one fresh shell, in an empty folder, pasting each
block's copy payload in page order. This module does the same with one ``bash``
process per page (:class:`ReaderSession`):

* a ``console`` block's commands are pasted one by one (its copy payload); each must
  succeed and print what the page shows under it (stdout and stderr, as a terminal
  shows them);
* a ``bash`` block is pasted whole; it must succeed and print nothing, since the page
  shows nothing;
* a ``python`` block is a file the reader saves: it needs a ``title="name.py"``, and
  its payload is written to that file in the session's current folder;
* an ``output`` block is compared with what the block above printed;
* an install command (``pip install``) is not run here: the install tests run the
  page's install blocks in fresh virtual environments (the reader's environment is
  the one the doc tests run in, built by ``noxfile.py`` from the same
  ``pyproject.toml``);
* ``<!-- not-tested: … -->`` blocks are skipped, like everywhere else.

The session starts with a reader's environment: none of the variables the harness
exports for the other pages, a fresh ``HOME``, ``python``/``hokusai`` on ``PATH``.
The one addition is ``HOKUSAI_LOCAL_PORT``, a free port for ``hokusai local up``
(tests never take port 5000); outputs show it as the CLI's default port.
"""

from __future__ import annotations

import queue
import re
import subprocess
import tempfile
import threading
import uuid
from pathlib import Path

from sybil import Example

from tests.docs.console import parse_console
from tests.docs.evaluators import (
    LAST_OUTPUT,
    PORTS,
    TIMEOUT,
    WORKDIR,
    DocBlockError,
    block_environment,
    check_output,
    where,
)
from tests.docs.lexers import Fence

SESSION = "__reader_session__"
# Set by the harness for the other pages; a reader's fresh shell has none of them.
# (HOKUSAI_DOCS_* route `python`/`hokusai` to the warm interpreter: kept.)
HARNESS_VARIABLES = re.compile(r"^(HOKUSAI_(?!DOCS_)|MLFLOW_TRACKING_|MLFLOW_SUPPRESS_PRINTING)")
INSTALL = re.compile(r"\bpip install\b")


class ReaderSession:
    """One ``bash`` reading commands from its stdin, as pasted into a terminal."""

    def __init__(self, workdir: str, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            ["bash", "--noprofile", "--norc"],
            cwd=workdir,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def run(self, commands: str, timeout: float = TIMEOUT) -> tuple[int, str]:
        """Paste ``commands``; (exit status of the last one, everything printed)."""
        marker = f"@@reader-session-{uuid.uuid4().hex}@@"
        # The status first: `echo` (which ends a last line left open) would reset $?.
        self.process.stdin.write(f"{commands}\n__status=$?; echo; echo {marker}$__status\n")
        self.process.stdin.flush()
        printed: list[str] = []
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise DocBlockError(f"no answer within {timeout:.0f} s to:\n{commands}") from None
            if line is None:
                raise DocBlockError(f"the shell exited while running:\n{commands}")
            if line.startswith(marker):
                text = "".join(printed)
                return int(line[len(marker) :]), text[:-1] if text.endswith("\n") else text
            printed.append(line)

    def cwd(self) -> Path:
        _, printed = self.run("pwd")
        return Path(printed.strip())

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def reader_environment(port: int) -> dict[str, str]:
    env = {k: v for k, v in block_environment().items() if not HARNESS_VARIABLES.match(k)}
    env["HOME"] = tempfile.mkdtemp(prefix="hokusai-reader-home-")
    env["HOKUSAI_LOCAL_PORT"] = str(port)
    return env


def session(example: Example) -> ReaderSession:
    namespace = example.namespace
    if SESSION not in namespace:
        from hokusai.local import free_port

        port = free_port()
        namespace.setdefault(PORTS, set()).add(port)
        namespace[SESSION] = ReaderSession(namespace[WORKDIR], reader_environment(port))
    return namespace[SESSION]


def _failed(example: Example, what: str, status: int, printed: str) -> DocBlockError:
    return DocBlockError(f"{where(example)}: {what} exited with {status}:\n{printed[-4000:]}")


def evaluate_console(example: Example) -> None:
    __tracebackhide__ = True
    fence: Fence = example.parsed
    shell = session(example)
    printed = ""
    for command, expected in parse_console(fence.expanded):
        status, printed = shell.run(command)
        if status:
            raise _failed(example, f"$ {command}", status, printed)
        check_output(example, expected, printed, f"output of $ {command}")
    example.namespace[LAST_OUTPUT] = printed


def evaluate_shell(example: Example) -> None:
    __tracebackhide__ = True
    fence: Fence = example.parsed
    if INSTALL.search(fence.expanded):
        return  # run by the install tests, in fresh virtual environments
    status, printed = session(example).run(fence.expanded.rstrip("\n"))
    if status:
        raise _failed(example, "bash block", status, printed)
    if printed.strip():
        raise DocBlockError(
            f"{where(example)}: the page shows no output, but it printed:\n{printed}"
        )
    example.namespace[LAST_OUTPUT] = printed


def save_file(example: Example) -> None:
    """A Python block of the session is a file the reader saves under its title."""
    __tracebackhide__ = True
    fence: Fence = example.parsed
    name = fence.attributes.get("title", "")
    if not re.fullmatch(r"[\w.-]+\.py", name):
        raise DocBlockError(
            f"{where(example)}: in a reader's session a Python block is a file to save: "
            'give it title="name.py" and run it with a console block'
        )
    (session(example).cwd() / name).write_text(fence.expanded)


def close(namespace: dict) -> None:
    """End the session: stop a registry the page left running, then the shell."""
    shell: ReaderSession | None = namespace.pop(SESSION, None)
    if shell is None:
        return
    for pid_file in Path(namespace[WORKDIR]).rglob("local.pid"):
        shell.run(f"hokusai local down --data-dir {pid_file.parent}", timeout=120)
    shell.close()
