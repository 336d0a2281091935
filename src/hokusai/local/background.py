"""``hokusai local up --detach`` and ``hokusai local down``: the registry in the background.

``--detach`` starts ``hokusai local up`` as a process of its own (its own session, so
closing the terminal does not stop it), with its output in ``DATA_DIR/local.log``,
waits until it prints ``Ready.``, and returns. The running registry keeps its process
id in ``DATA_DIR/local.pid`` and the variables for a shell in ``DATA_DIR/env`` (see
`hokusai.local.stack`), so another shell gets them with ``source .hokusai/env``
and ``hokusai local down`` stops it, whichever way it was started.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from hokusai.local.stack import DataDir, read_env_file

READY = "Ready."


class BackgroundError(RuntimeError):
    """The background registry did not start (the message has the log's tail)."""


@dataclass(frozen=True)
class Running:
    """A registry running for a data directory."""

    pid: int
    tracking_uri: str | None


def running(data: DataDir) -> Running | None:
    """The registry running for ``data``, if any (a stale pid file is removed)."""
    try:
        pid = int(data.pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    if not _is_local_up(pid):
        with contextlib.suppress(OSError):
            data.pid_file.unlink()
        return None
    return Running(pid, read_env_file(data).get("MLFLOW_TRACKING_URI"))


def _is_local_up(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    try:  # a recycled pid is not our registry
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return True  # no /proc: trust the pid file
    return b"hokusai" in b" ".join(command) and b"up" in command


def start(data: DataDir, port: int, host: str, timeout: float = 240.0) -> Running:
    """Start ``hokusai local up`` in the background and wait until it is ready."""
    data.path.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "hokusai", "local", "up",
        "--port", str(port), "--host", host, "--data-dir", str(data.path),
    ]  # fmt: skip
    with data.log_file.open("ab") as log:
        offset = log.tell()
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    deadline = time.monotonic() + timeout
    while True:
        output = _log_since(data, offset)
        if READY in output.splitlines():
            return Running(process.pid, read_env_file(data).get("MLFLOW_TRACKING_URI"))
        if process.poll() is not None:
            raise BackgroundError(
                f"hokusai local up exited with code {process.returncode}:\n{_tail(output)}"
            )
        if time.monotonic() > deadline:
            process.terminate()
            raise BackgroundError(f"not ready within {timeout:.0f} s:\n{_tail(output)}")
        time.sleep(0.2)


def _log_since(data: DataDir, offset: int) -> str:
    with data.log_file.open("rb") as log:
        log.seek(offset)
        return log.read().decode(errors="replace")


def _tail(output: str, lines: int = 20) -> str:
    return "\n".join(output.splitlines()[-lines:])


def stop(data: DataDir, timeout: float = 60.0) -> int | None:
    """Stop the registry running for ``data`` (as Ctrl-C would); its pid, or ``None``."""
    found = running(data)
    if found is None:
        return None
    os.kill(found.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _is_local_up(found.pid):  # an exited process (a zombie too) has no command line
        if time.monotonic() > deadline:
            os.kill(found.pid, signal.SIGKILL)  # MLflow gets SIGTERM when its parent dies
            break
        time.sleep(0.1)
    with contextlib.suppress(OSError):
        data.pid_file.unlink()
    return found.pid
