"""Other processes as Linux ``/proc`` shows them: resident memory, sampled while
something runs, and the MLflow child of a ``hokusai local up``."""

from __future__ import annotations

import threading
from pathlib import Path


def rss_bytes(pid: int | str = "self") -> int:
    """Resident memory of a process now (Linux ``/proc``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


class PeakRss:
    """Samples a process's RSS every few ms in a thread; ``growth`` = peak - start."""

    def __init__(self, pid: int | str = "self", interval: float = 0.005) -> None:
        self.pid, self.interval = pid, interval
        self.start = self.peak = rss_bytes(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, rss_bytes(self.pid))

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes(self.pid))

    @property
    def growth(self) -> int:
        return self.peak - self.start


def mlflow_child_of(registry_pid: int) -> tuple[int, str]:
    """The pid and URL of the ``mlflow server`` child of a ``hokusai local up`` process."""
    children = Path(f"/proc/{registry_pid}/task/{registry_pid}/children").read_text().split()
    for child in children:
        argv = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        if b"mlflow" in argv and b"--port" in argv:
            return int(child), f"http://127.0.0.1:{argv[argv.index(b'--port') + 1].decode()}"
    raise RuntimeError(f"no mlflow server among the children of {registry_pid}")


def mlflow_url_of(registry_pid: int) -> str:
    """The URL of the ``mlflow server`` child of a ``hokusai local up`` process."""
    return mlflow_child_of(registry_pid)[1]
