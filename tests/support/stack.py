"""pytest plugin: one local registry (``hokusai local up``) for the whole test session.

The registry is started exactly as a developer starts it, in a subprocess, and the
variables it prints are exported into ``os.environ`` so SDK calls, plain ``mlflow``
calls, shell blocks in the docs and snippets all talk to it as a reader would.
MLflow boots in the background while the tests that do not need it run first.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

STACK_FIXTURE = "local_registry"
START_TIMEOUT = 240.0

# Quiet, fast-failing MLflow client in tests: a dead server must cost seconds, not minutes.
TEST_ENVIRONMENT = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "0",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "30",
    "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT": "true",
    "GIT_PYTHON_REFRESH": "quiet",
}
_EXPORT = re.compile(r"^export (\w+)=(\S+)$")


@dataclass(frozen=True)
class RunningElsewhere:
    """A ``hokusai local up`` this run did not start (the docs runner's,
    `tests.docs.runner`): its pid, for the tests that look at its processes."""

    pid: int


@dataclass
class LocalRegistry:
    """The running registry: its gateway URL, exported variables and data directory."""

    data_dir: Path
    port: int
    process: subprocess.Popen | RunningElsewhere
    env: dict[str, str] = field(default_factory=dict)
    output: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def tracking_uri(self) -> str:
        return self.env["MLFLOW_TRACKING_URI"]

    @property
    def api_key(self) -> str:
        return self.env["HOKUSAI_API_KEY"]

    def create_key(self, *scopes: str, prefix: str = "test") -> tuple[str, str]:
        """(key id, secret) of a new key with ``scopes`` (default: read, write), made
        with ``hokusai keys create`` on this registry's store."""
        args = [arg for scope in scopes for arg in ("--scope", scope)]
        name = f"{prefix}-{uuid.uuid4().hex[:6]}"
        lines = self.hokusai("keys", "create", "--name", name, *args).stdout.strip().splitlines()
        return lines[0].split()[1], lines[-1].strip()

    def hokusai(self, *args: str, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
        """Run the ``hokusai`` CLI against this registry's data directory."""
        return subprocess.run(
            [sys.executable, "-m", "hokusai", *args],
            capture_output=True,
            text=True,
            check=check,
            env={**os.environ, "HOKUSAI_DATA_DIR": str(self.data_dir)},
            **kwargs,
        )


class Starter:
    """Starts ``hokusai local up`` once, in the background; ``get()`` waits for ``Ready.``.

    Its data folder is temporary, or ``data_dir`` (kept, for the docs runner)."""

    def __init__(self, data_dir: Path | None = None) -> None:
        self.registry: LocalRegistry | None = None
        self.error: str | None = None
        self.ready = threading.Event()
        self.tmp = None if data_dir else tempfile.TemporaryDirectory(prefix="hokusai-tests-")
        self.data_dir = data_dir or Path(self.tmp.name) / "data"

    def start(self) -> None:
        if self.registry is not None:
            return
        from hokusai.local import free_port

        port = free_port()
        data_dir = self.data_dir
        process = subprocess.Popen(
            [sys.executable, "-m", "hokusai", "local", "up", "--port", str(port),
             "--data-dir", str(data_dir)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            env={**os.environ, **TEST_ENVIRONMENT},
        )  # fmt: skip
        self.registry = LocalRegistry(data_dir, port, process)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        registry = self.registry
        for line in registry.process.stdout:
            line = line.rstrip("\n")
            registry.output.append(line)
            match = _EXPORT.match(line)
            if match:
                registry.env[match.group(1)] = match.group(2)
            elif line == "Ready." and not self.ready.is_set():
                self.ready.set()
        if not self.ready.is_set():
            self.error = "hokusai local up exited before Ready.:\n" + "\n".join(registry.output)
            self.ready.set()

    def get(self) -> LocalRegistry:
        if not self.ready.wait(START_TIMEOUT):
            self.error = f"hokusai local up printed no Ready. within {START_TIMEOUT:.0f} s"
        if self.error:
            pytest.fail(self.error, pytrace=False)
        return self.registry

    def stop(self) -> None:
        process = self.registry.process if self.registry is not None else None
        if isinstance(process, subprocess.Popen) and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        if self.tmp is not None:
            self.tmp.cleanup()


class SessionStarter(Starter):
    """The session's registry: the docs runner's when ``HOKUSAI_DOCS_RUNNER`` names a
    usable one (`tests.docs.runner`), else one of its own."""

    def start(self) -> None:
        if self.registry is not None:
            return
        from tests.docs.runner import attached

        state = attached().state
        if state is None:
            super().start()
            return
        self.registry = LocalRegistry(
            Path(state.data_dir), state.port, RunningElsewhere(state.registry_pid), dict(state.env)
        )
        self.ready.set()


_starter = SessionStarter()


@contextlib.contextmanager
def own_registry() -> Iterator[LocalRegistry]:
    """A ``hokusai local up`` of the caller's own (say, to stop its MLflow), started as
    the session's is and stopped on exit. Its variables are not exported."""
    starter = Starter()
    starter.start()
    try:
        yield starter.get()
    finally:
        starter.stop()


def start_registry() -> None:
    """Start the session's registry now, in the background (once), e.g. as soon as a
    collected test is known to need it."""
    _starter.start()


def _uses_stack(item: pytest.Item) -> bool:
    return STACK_FIXTURE in getattr(item, "fixturenames", ())


def pytest_configure(config: pytest.Config) -> None:
    os.environ.update(TEST_ENVIRONMENT)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items: list[pytest.Item]) -> None:
    # Tests that need no registry run first, while MLflow boots (5-27 s) in the background.
    items.sort(key=lambda item: bool(_uses_stack(item)))
    if any(_uses_stack(item) for item in items) and not config.option.collectonly:
        _starter.start()


def pytest_collection_finish(session: pytest.Session) -> None:
    from tests.docs.runner import attached

    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter and attached.cache_info().currsize and attached().message:  # decided: say which
        reporter.write_line(attached().message)


def pytest_unconfigure(config: pytest.Config) -> None:
    _starter.stop()


@pytest.fixture(scope="session")
def local_registry() -> LocalRegistry:
    """The session's registry; its exports are in ``os.environ`` while tests run."""
    registry = _starter.get()
    os.environ.update(registry.env)
    # `hokusai keys ...` in docs and tests manage this registry's key store.
    os.environ["HOKUSAI_DATA_DIR"] = str(registry.data_dir)
    return registry
