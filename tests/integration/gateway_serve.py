"""Run ``hokusai gateway serve`` as a subprocess (the deployment command) for tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from hokusai.local import free_port, wait_for_health


class ServedGateway:
    """``hokusai gateway serve …`` on a free port; stdout (JSON logs) goes to a file."""

    def __init__(self, workdir: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.log_path = workdir / f"gateway-{self.port}.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hokusai", "gateway", "serve", "--port", str(self.port), *args],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
        )
        try:
            wait_for_health(self.url + "/health", 90, self.process)
        except Exception:
            self.stop()
            raise RuntimeError(f"gateway did not start:\n{self.log()}") from None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def workers(self) -> list[int]:
        """PIDs of the uvicorn worker processes (children of the served process)."""
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        children = [int(pid) for pid in path.read_text().split()]
        return [
            pid
            for pid in children
            if b"multiprocessing" not in Path(f"/proc/{pid}/cmdline").read_bytes()
            or b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
