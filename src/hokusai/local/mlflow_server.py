"""Start and stop a real ``mlflow server`` child process with low-memory flags."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

# ~0.5 GB instead of ~2.6 GB: one worker, no background job runner (docs/contributing/mlflow-facts.md).
LOW_MEMORY_ENV = {
    "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
}


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now (the system picks it).

    Examples:
        >>> 1024 < free_port() < 65536
        True
    """
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when ``host:port`` can be bound (as uvicorn binds it)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def answers(url: str, timeout: float = 2.0) -> bool:
    """True when ``url`` answers 200 right now."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def wait_for_health(
    url: str, timeout: float, process: subprocess.Popen | None = None, interval: float = 0.2
) -> None:
    """Poll ``url`` until it answers 200; raise if ``process`` dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with code {process.returncode} before {url} was up")
        if answers(url):
            return
        time.sleep(interval)
    raise TimeoutError(f"{url} did not answer 200 within {timeout:.0f} s")


def _die_with_parent() -> None:
    """Linux: SIGTERM the child if this process dies without stopping it (e.g. SIGKILL)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class MlflowServer:
    """``mlflow server`` on 127.0.0.1 with a SQLite store and served artifacts.

    ``app_name`` is passed as ``--app-name`` (``"hokusai"``: the gateway's rules in
    process) and ``env`` is added to the server's environment.
    """

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        app_name: str | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.app_name = app_name
        self.env = dict(env or {})
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir / "mlflow.log"
        self.process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        """The ``mlflow server`` command line: SQLite store and artifacts in ``data_dir``."""
        return [
            sys.executable, "-m", "mlflow", "server",
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--backend-store-uri", f"sqlite:///{self.data_dir / 'mlflow.db'}",
            "--artifacts-destination", str(self.data_dir / "artifacts"),
            "--workers", "1",
            *(["--app-name", self.app_name] if self.app_name else []),
        ]  # fmt: skip

    def start(self) -> None:
        """Start the server in its own process group; its output goes to ``mlflow.log``."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.command(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **LOW_MEMORY_ENV, **self.env},
            start_new_session=True,  # its own process group, stopped as a whole
            preexec_fn=_die_with_parent,
        )
        log.close()

    def wait_ready(self, timeout: float = 180.0) -> None:
        """Wait until ``/health`` answers; raise with the log's tail if it never does."""
        try:
            wait_for_health(self.url + "/health", timeout, self.process)
        except (RuntimeError, TimeoutError) as exc:
            raise RuntimeError(f"MLflow did not start: {exc}\n{self.log_tail()}") from exc

    def log_tail(self, lines: int = 20) -> str:
        """The last ``lines`` lines of the server's log (empty if there is none)."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM the server's process group, SIGKILL what is left after ``timeout``."""
        if self.process is None or self.process.poll() is not None:
            return
        pgid = self.process.pid  # start_new_session: the group id is the child's pid
        try:
            os.killpg(pgid, signal.SIGTERM)
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.process.wait()
        except ProcessLookupError:
            pass
        with contextlib.suppress(ProcessLookupError):  # stragglers after the leader exited
            os.killpg(pgid, signal.SIGKILL)
