"""Install blocks' venvs, kept across test sessions in ``.nox/install-venvs/`` (git
ignores ``.nox/``).

A venv is reused only while everything that decides what it holds is as it was when
it was built:

* the recipe: its commands, in order (``starting-from``, the block, ``same-venv``
  blocks after it), and the Python, by what it reports (version, real executable)
  and that executable's file;
* the package as ``python -m pip install .`` builds it: ``pyproject.toml``,
  ``uv.lock``, ``README.md``, ``LICENSE`` and ``src/``, as the clone has them;
* the venv itself: the distributions installed in it (a venv that something else
  changed is rebuilt);
* the day: a venv older than :data:`MAX_AGE` is rebuilt, as pip would now pick newer
  releases of the dependencies for a reader.

The package's version comes from git: after a new commit with the same sources (so
the same requirements), only the package is reinstalled (in the venvs that have it),
at its new version, from a wheel of the clone built once per session
(``pip install --no-deps --force-reinstall``). Each entry
keeps ``record.json``: the key, the run of the commands that made it (each command
with its exit status and what it printed), and each reinstall after it. A page's
``output`` block under an install block is compared with the recorded output of the
block's own command.

``HOKUSAI_REBUILD_VENVS=1`` rebuilds every venv a session uses (so does deleting the
folder).
"""

from __future__ import annotations

import datetime
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".nox" / "install-venvs"
DIST_INFO = "hokusai_ml_platform-"  # the package's *.dist-info folder, version aside
PACKAGE_FILES = ("pyproject.toml", "uv.lock", "README.md", "LICENSE", "src")
REBUILD = "HOKUSAI_REBUILD_VENVS"
MAX_AGE = datetime.timedelta(days=1)


@dataclass(frozen=True)
class Step:
    """One command run in the venv, and what it did."""

    command: str
    returncode: int
    stdout: str
    stderr: str


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout


def package_digest() -> str:
    """A hash of the files ``pip install .`` builds the package from, as the clone has
    them (tracked files with their edits, and new files git does not ignore)."""
    listed = _git("ls-files", "-z", "--cached", "--others", "--exclude-standard", "--",
                  *PACKAGE_FILES)  # fmt: skip
    digest = hashlib.sha256()
    for name in sorted(set(filter(None, listed.split("\0")))):
        path = ROOT / name
        if path.is_file():
            digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def version_source() -> str:
    """What hatch-vcs makes the package's version from: the last tag, the commits since,
    the commit, and (with uncommitted edits to tracked files) the date."""
    described = _git("describe", "--tags", "--long", "--always", "--dirty").strip()
    if described.endswith("-dirty"):
        described += _now().strftime(" %Y%m%d")
    return described


def interpreter_identity(python: str) -> dict[str, object]:
    """The Python a recipe names, by what it reports and by its executable's file."""
    probe = subprocess.run(
        [
            python,
            "-c",
            "import os, sys; print(sys.version); print(os.path.realpath(sys.executable))",
        ],
        capture_output=True,
        text=True,
    )
    if probe.returncode:
        return {"python": python, "error": probe.stderr.strip()}
    version, executable = probe.stdout.strip().splitlines()[-2:]
    stat = Path(executable).stat()
    return {"python": python, "version": version, "executable": executable,
            "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}  # fmt: skip


def installed(venv: Path) -> list[str]:
    """The distributions in a venv, as their ``*.dist-info`` folders name them."""
    return sorted(path.name for path in venv.glob("lib/python*/site-packages/*.dist-info"))


class Entry:
    """One cached venv: ``venv/`` and its ``record.json``, in a folder named by its key."""

    def __init__(self, key: dict[str, object]) -> None:
        self.key = key
        encoded = json.dumps(key, sort_keys=True).encode()
        self.path = CACHE / hashlib.sha256(encoded).hexdigest()[:20]
        self.venv = self.path / "venv"
        self.record_file = self.path / "record.json"

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Held while the entry is checked, built or run again (other test sessions in
        this tree wait)."""
        CACHE.mkdir(parents=True, exist_ok=True)
        with (CACHE / f"{self.path.name}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def record(self) -> dict | None:
        """The record, if the entry is complete, young enough, and its venv is still as
        it left it."""
        try:
            record = json.loads(self.record_file.read_text())
            built = datetime.datetime.fromisoformat(record["runs"][0]["at"])
        except (OSError, ValueError, KeyError, IndexError):
            return None
        if record.get("key") != self.key or record.get("installed") != installed(self.venv):
            return None
        return record if _now() - built < MAX_AGE else None

    def write(self, record: dict) -> None:
        record["installed"] = installed(self.venv)
        self.record_file.write_text(json.dumps(record, indent=1) + "\n")


Runner = Callable[[Path, list[str]], list[Step]]


def venv_for(
    commands: list[str],
    python: str,
    make: Callable[[Path], None],
    run: Runner,
    reinstall: Callable[[Path], list[Step]],
) -> tuple[Path, str, str]:
    """The venv ``commands`` make with ``python``: reused, with the package reinstalled
    (``reinstall``: a new commit), or built (``make`` creates the venv, ``run`` runs
    the commands in it; both raise if something fails). Returns the venv, how it was
    obtained, and what its last command printed when the venv was built."""
    package = package_digest()
    key = {"commands": commands, "interpreter": interpreter_identity(python),
           "package": package}  # fmt: skip
    entry = Entry(key)
    version = version_source()
    with entry.locked():
        record = None if os.environ.get(REBUILD) == "1" else entry.record()
        if record is not None and record["runs"][-1]["version_source"] == version:
            how = "reused"
        elif record is not None:
            has_package = any(name.startswith(DIST_INFO) for name in record["installed"])
            entry.record_file.unlink()  # incomplete until the package is reinstalled
            record["runs"].append(_run(version, reinstall(entry.venv) if has_package else []))
            entry.write(record)
            how = "package reinstalled" if has_package else "reused"
        else:
            shutil.rmtree(entry.path, ignore_errors=True)
            entry.path.mkdir(parents=True)
            make(entry.venv)
            record = {"key": key, "runs": [_run(version, run(entry.venv, commands))]}
            entry.write(record)
            _prune(package)
            how = "built"
    return entry.venv, how, record["runs"][0]["steps"][-1]["stdout"]


def _run(version: str, steps: list[Step]) -> dict:
    return {
        "version_source": version,
        "at": _now().isoformat(timespec="seconds"),
        "steps": [asdict(step) for step in steps],
    }


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _prune(package: str) -> None:
    """Remove the venvs of other package sources (not in use: their lock is free)."""
    for record_file in CACHE.glob("*/record.json"):
        try:
            stale = json.loads(record_file.read_text())["key"]["package"] != package
        except (OSError, ValueError, KeyError):
            continue
        if not stale:
            continue
        with (CACHE / f"{record_file.parent.name}.lock").open("w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue
            shutil.rmtree(record_file.parent, ignore_errors=True)
