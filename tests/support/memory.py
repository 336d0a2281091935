"""Resident memory of a process (Linux ``/proc``), sampled while something runs."""

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
