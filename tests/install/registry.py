"""A registry for the install tests: ``hokusai local up`` from a venv, or the session's.

The Quickstart registers ``quickstart-lead-scorer`` and prints "version 1". Each run
of it here starts and ends with that model deleted (:func:`without_model`),
so the Quickstart page, which runs after these tests, prints version 1 too.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import requests

from hokusai.local import free_port
from tests.docs.install import Venv

START_TIMEOUT = 300.0
_EXPORT = re.compile(r"^export (\w+)=(\S+)$")


@contextlib.contextmanager
def local_up(venv: Venv) -> Iterator[dict[str, str]]:
    """``hokusai local up`` run by ``venv``'s own ``hokusai``; yields what it exports."""
    with tempfile.TemporaryDirectory(prefix="hokusai-compat-") as data:
        process = subprocess.Popen(
            [str(venv.bin / "hokusai"), "local", "up", "--port", str(free_port()),
             "--data-dir", str(Path(data) / "data")],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            env=venv.environment(),
            cwd=data,
        )  # fmt: skip
        exports, lines, ready = {}, [], threading.Event()

        def read() -> None:
            for line in process.stdout:
                lines.append(line.rstrip("\n"))
                match = _EXPORT.match(lines[-1])
                if match:
                    exports[match.group(1)] = match.group(2)
                elif lines[-1] == "Ready.":
                    ready.set()
            ready.set()

        threading.Thread(target=read, daemon=True).start()
        try:
            if not ready.wait(START_TIMEOUT) or process.poll() is not None:
                raise AssertionError("hokusai local up did not start:\n" + "\n".join(lines[-40:]))
            yield exports
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def delete_model(exports: dict[str, str], name: str) -> None:
    """Delete registered model ``name`` (and its versions) if it exists, through the gateway."""
    response = requests.delete(
        f"{exports['MLFLOW_TRACKING_URI']}/api/2.0/mlflow/registered-models/delete",
        json={"name": name},
        headers={"X-API-Key": exports["HOKUSAI_API_KEY"]},
        timeout=30,
    )
    if response.status_code != 404 or "RESOURCE_DOES_NOT_EXIST" not in response.text:
        response.raise_for_status()


@contextlib.contextmanager
def without_model(exports: dict[str, str], name: str) -> Iterator[None]:
    delete_model(exports, name)
    try:
        yield
    finally:
        delete_model(exports, name)


def session_exports() -> dict[str, str]:
    """The session registry's variables (exported by its fixture)."""
    names = ("HOKUSAI_API_ENDPOINT", "MLFLOW_TRACKING_URI", "HOKUSAI_API_KEY")
    return {name: os.environ[name] for name in names}
