"""``mkdocs build --strict`` in the background, so the site builds while pages run.

The plugin starts it when the first page's test starts (the registry and the warm
interpreter have booted by then, and the pages leave a core mostly idle), and runs the
site tests last; :meth:`SiteBuild.result` waits for it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _production(env) -> dict[str, str]:
    """The environment of a production build: never the live preview's (docs/hooks/live.py)."""
    return {name: value for name, value in env.items() if name != "HOKUSAI_DOCS_LIVE"}


class SiteBuild:
    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self.tmp: tempfile.TemporaryDirectory | None = None
        self._finished: tuple[int, str] | None = None
        self._lock = threading.Lock()  # the copy presses wait on a thread of their own

    @property
    def output(self) -> Path:
        return Path(self.tmp.name) / "site"

    def start(self) -> None:
        if self.process is None:  # else: started, maybe being waited for under the lock
            with self._lock:
                self._start()

    def _start(self) -> None:
        if self.process is not None:
            return
        self.tmp = tempfile.TemporaryDirectory(prefix="hokusai-site-")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(self.output)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**_production(os.environ), "NO_MKDOCS_2_WARNING": "1"},
        )

    def result(self) -> tuple[int, str, Path]:
        """(exit code, stderr, site folder), once the build has finished."""
        with self._lock:
            if self._finished is None:
                self._start()
                _, stderr = self.process.communicate()
                self._finished = (self.process.returncode, stderr)
        return *self._finished, self.output

    def built(self) -> Path | None:
        """The site folder once built, or None if the build failed."""
        returncode, _, output = self.result()
        return output if returncode == 0 else None

    def cleanup(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.tmp is not None:
            self.tmp.cleanup()


SITE = SiteBuild()
