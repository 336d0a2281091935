"""A page read as one reader's terminal session: the Quickstart.

A reader follows the Quickstart in one fresh shell, in an empty folder, pasting each
block's copy payload in page order. :class:`Reading` does the same with one ``bash``
process (:class:`ReaderSession`):

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

The reading starts when the page is collected and runs in a background thread (its
registry boots while the other tests run); each block's test waits for its result.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
import uuid
from pathlib import Path

from tests.docs.blocks import Kind, classify
from tests.docs.console import parse_console
from tests.docs.evaluators import ROOT, TIMEOUT, DocBlockError, block_environment, compare
from tests.docs.lexers import Fence

# Set by the harness for the other pages; a reader's fresh shell has none of them.
HARNESS_VARIABLES = re.compile(r"^(HOKUSAI_|MLFLOW_TRACKING_|MLFLOW_SUPPRESS_PRINTING)")
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


def reader_environment(port: int, home: str) -> dict[str, str]:
    # The real interpreter, not the warm one: the session runs in the background, so
    # its start-up costs no wall time, and a reader's `python` is the real one.
    env = block_environment(warm=False)
    env = {k: v for k, v in env.items() if not HARNESS_VARIABLES.match(k)}
    env["HOME"] = home
    env["HOKUSAI_LOCAL_PORT"] = str(port)
    return env


class Reading:
    """A page's blocks pasted in order into one :class:`ReaderSession`, in the background."""

    def __init__(self, path: Path, fences: list[Fence]) -> None:
        self.page = os.path.relpath(path, ROOT)
        self.fences = fences
        self.done = {fence.line: threading.Event() for fence in fences}
        self.failures: dict[int, str] = {}
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._read_page, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def result(self, line: int) -> None:
        """Wait for the block at ``line``; raise what went wrong with it."""
        __tracebackhide__ = True
        if not self.done[line].wait(TIMEOUT * 2):
            raise DocBlockError(f"{self.page}:{line}: the reader's session never got here")
        if line in self.failures:
            raise DocBlockError(self.failures[line])

    def _read_page(self) -> None:
        from hokusai.local import free_port

        tmp = tempfile.mkdtemp(prefix="hokusai-reader-")
        self.port = free_port()
        shell = None
        try:
            (Path(tmp) / "home").mkdir()
            shell = ReaderSession(tmp, reader_environment(self.port, f"{tmp}/home"))
            last_output = None
            for fence in self.fences:
                if self.stopping.is_set():
                    break
                try:
                    last_output = self._block(shell, fence, last_output)
                except DocBlockError as failure:
                    self.failures[fence.line] = str(failure)
                except Exception as error:  # the harness itself: report it at the block
                    self.failures[fence.line] = f"{self.page}:{fence.line}: {error!r}"
                self.done[fence.line].set()
        finally:
            for event in self.done.values():
                event.set()
            self._close(shell, tmp)

    def _block(self, shell: ReaderSession, fence: Fence, last_output: str | None) -> str | None:
        __tracebackhide__ = True
        where = f"{self.page}:{fence.line}"
        kind = classify(fence)
        if kind is Kind.INCLUDE:  # a snippet saved as a file, or its output shown
            kind = Kind.OUTPUT if fence.language == "output" else Kind.PYTHON
        if kind is Kind.NOT_TESTED or INSTALL.search(fence.expanded):
            return last_output  # install blocks: run by the install tests, in fresh venvs
        if kind is Kind.CONSOLE:
            printed = ""
            for command, expected in parse_console(fence.expanded):
                status, printed = shell.run(command)
                if status:
                    raise DocBlockError(f"{where}: $ {command} exited with {status}:\n{printed}")
                compare(where, expected, printed, f"output of $ {command}", [self.port])
            return printed
        if kind is Kind.SHELL:
            status, printed = shell.run(fence.expanded.rstrip("\n"))
            if status:
                raise DocBlockError(f"{where}: bash block exited with {status}:\n{printed}")
            if printed.strip():
                raise DocBlockError(
                    f"{where}: the page shows no output, but it printed:\n{printed}"
                )
            return printed
        if kind is Kind.PYTHON:
            name = fence.attributes.get("title", "")
            if not re.fullmatch(r"[\w.-]+\.py", name):
                raise DocBlockError(
                    f"{where}: in a reader's session a Python block is a file to save: give "
                    'it title="name.py" and run it with a console block'
                )
            (shell.cwd() / name).write_text(fence.expanded)
            return last_output
        if kind is Kind.OUTPUT:
            if last_output is None:
                raise DocBlockError(f"{where}: an output block must follow an executed block")
            compare(where, fence.expanded, last_output, "output block", [self.port])
            return last_output
        raise DocBlockError(f"{where}: a block the harness cannot run ({kind.value})")

    @staticmethod
    def _close(shell: ReaderSession | None, tmp: str) -> None:
        """Stop a registry the page left running, then the shell; remove the folder."""
        if shell is not None:
            for pid_file in Path(tmp).rglob("local.pid"):
                shell.run(f"hokusai local down --data-dir {pid_file.parent}", timeout=120)
            shell.close()
        shutil.rmtree(tmp, ignore_errors=True)


READINGS: dict[str, Reading] = {}


def start_reading(path: Path, fences: list[Fence]) -> None:
    """Start reading the page in the background (once)."""
    key = str(path)
    if key not in READINGS:
        READINGS[key] = Reading(path, fences)
        READINGS[key].start()


def evaluate(example) -> None:
    """A block of a reader's session: its result, once the session got there."""
    __tracebackhide__ = True
    READINGS[str(example.path)].result(example.parsed.line)


def stop_all() -> None:
    """At the end of the test run: let each reading finish its block and clean up."""
    for reading in READINGS.values():
        reading.stopping.set()
    for reading in READINGS.values():
        reading.thread.join(TIMEOUT)
