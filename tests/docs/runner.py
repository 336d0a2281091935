"""The docs runner: a registry and a warm interpreter that outlive one test run.

``nox -s serve`` starts one (``python -m tests.docs.runner -- mkdocs serve …``): a real
``hokusai local up`` (MLflow and the gateway, on free ports, data in
``.hokusai/docs-runner/``) and the warm interpreter of `tests.docs.warm`, described in
a state file (``.hokusai/docs-runner.json``: their pids, the registry's port, exported
variables and data folder, the warm interpreter's socket). A test run whose
environment names that file in ``HOKUSAI_DOCS_RUNNER`` uses both instead of starting
its own (`tests.support.stack`, `tests.docs.warm`): checking one page then costs
seconds instead of the 25 s of booting MLflow and preloading MLflow again.
``python -m tests.docs.runner check docs/<page>.md`` goes one step further, as the live
preview does (``docs/hooks/live.py``): pytest itself is forked from the warm interpreter.

A run that uses the runner:

* first takes the runner's lock (one run at a time: runs never see each other's
  experiments, models or keys), then puts the registry back as it was when the runner
  started: MLflow's database and the key store are restored from the snapshots taken
  then (SQLite's backup API, in place, so the running servers read the restored rows),
  so every run starts from the same empty registry, as a fresh one would;
* is refused, with one line saying why, when the state file is stale (a pid is dead,
  the registry does not answer ``/health``), belongs to another checkout, or when
  ``src/hokusai`` changed since the runner started (its processes run the old code):
  the run then starts its own registry and warm interpreter, as without a runner.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STATE_VARIABLE = "HOKUSAI_DOCS_RUNNER"
LIVE_VARIABLE = "HOKUSAI_DOCS_LIVE"  # set for `mkdocs serve`: docs/hooks/live.py checks pages
STATE_FILE = ROOT / ".hokusai" / "docs-runner.json"
LOCK_TIMEOUT = 120.0
DATABASES = ("mlflow/mlflow.db", "keys.db")  # in the registry's data folder


@dataclass
class RunnerState:
    """What a test run needs to use a running docs runner."""

    root: str  # the checkout it serves
    source_stamp: str  # `source_stamp()` when it started
    runner_pid: int
    registry_pid: int
    port: int
    data_dir: str
    env: dict[str, str]  # what `hokusai local up` exported
    warm_pid: int
    warm_env: dict[str, str]  # `WarmInterpreter.environment()`

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        partial.write_text(json.dumps(asdict(self), indent=2) + "\n")
        partial.replace(path)  # readers never see half a file

    @classmethod
    def read(cls, path: Path) -> RunnerState:
        return cls(**json.loads(path.read_text()))


def folder(state_path: Path) -> Path:
    """The runner's own folder, beside its state file: ``.hokusai/docs-runner/``."""
    return state_path.with_suffix("")


def state_path_from(env) -> Path | None:
    """The state file ``HOKUSAI_DOCS_RUNNER`` names (relative to the checkout), if any."""
    name = env.get(STATE_VARIABLE)
    return None if not name else Path(name) if Path(name).is_absolute() else ROOT / name


def source_stamp() -> str:
    """The newest modification time and the number of files under ``src/hokusai``:
    the runner's processes run the code they imported when they started."""
    files = list((ROOT / "src" / "hokusai").rglob("*.py"))
    return f"{max((f.stat().st_mtime_ns for f in files), default=0)}/{len(files)}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process, alive
    return True


def problem(state: RunnerState) -> str | None:
    """Why ``state`` cannot be used, or ``None`` when it can."""
    from hokusai.local.mlflow_server import answers

    if Path(state.root) != ROOT:
        return f"it serves another checkout ({state.root})"
    for what, pid in (("runner", state.runner_pid), ("registry", state.registry_pid),
                      ("warm interpreter", state.warm_pid)):  # fmt: skip
        if not _alive(pid):
            return f"its {what} (pid {pid}) is not running"
    if not answers(f"http://127.0.0.1:{state.port}/health"):
        return f"its registry on port {state.port} does not answer /health"
    if state.source_stamp != source_stamp():
        return "src/hokusai changed since it started (restart nox -s serve)"
    return None


@dataclass
class Attached:
    """The runner this process uses, or why it uses none (``state`` is then None)."""

    state: RunnerState | None
    message: str


@functools.cache
def attached() -> Attached:
    """The runner named by ``HOKUSAI_DOCS_RUNNER``, locked and reset for this process;
    decided once per process."""
    path = state_path_from(os.environ)
    if path is None:
        return Attached(None, "")
    name = os.environ[STATE_VARIABLE]
    if not path.exists():
        return Attached(None, f"docs runner: {name} does not exist; starting a registry of our own")
    try:
        state = RunnerState.read(path)
    except (OSError, ValueError, TypeError) as error:
        return Attached(None, f"docs runner: {name} is unreadable ({error}); starting our own")
    why = problem(state)
    if why is not None:
        return Attached(
            None, f"docs runner: not using {name}: {why}; starting a registry of our own"
        )
    waited = _lock(Path(state.data_dir).parent / "lock")
    if waited is None:
        return Attached(
            None, f"docs runner: {name} stayed busy {LOCK_TIMEOUT:.0f} s; starting our own"
        )
    restore(Path(state.data_dir))
    queued = f" after waiting {waited:.1f} s for another run" if waited >= 0.1 else ""
    return Attached(state, f"docs runner: using {name} (registry on :{state.port}){queued}")


_held: list[int] = []  # the lock's descriptor: released when this process exits


def _lock(path: Path) -> float | None:
    """Take the runner's lock; the seconds waited, or None after ``LOCK_TIMEOUT``."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    started = time.monotonic()
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if time.monotonic() - started > LOCK_TIMEOUT:
                os.close(fd)
                return None
            time.sleep(0.05)
            continue
        _held.append(fd)
        return time.monotonic() - started


def _snapshot(data_dir: Path, name: str) -> Path:
    return data_dir.parent / "snapshots" / name.replace("/", "-")


def snapshot(data_dir: Path) -> None:
    """Copy the registry's databases as they are now: what every run starts from."""
    for name in DATABASES:
        target = _snapshot(data_dir, name)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)
        _copy(data_dir / name, target)


def restore(data_dir: Path) -> None:
    """Put the registry's databases back as :func:`snapshot` saw them, in place."""
    for name in DATABASES:
        _copy(_snapshot(data_dir, name), data_dir / name)


def _copy(source: Path, target: Path) -> None:
    if not source.exists():
        raise FileNotFoundError(f"the docs runner has no {source}: restart nox -s serve")
    with (
        contextlib.closing(sqlite3.connect(source)) as src,
        contextlib.closing(sqlite3.connect(target, timeout=30)) as dst,
    ):
        src.backup(dst)


# --- the runner itself --------------------------------------------------------------------


def _children(pid: int) -> set[int]:
    """The processes whose parent is ``pid`` (Linux: /proc/<pid>/task/*/children)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            found.update(map(int, task.read_text().split()))
    return found


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid``."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in _children(todo.pop()) - found:
            found.add(child)
            todo.append(child)
    return found


def _reap_adopted(own: Callable[[], set[int]], stop: threading.Event) -> None:
    """Collect the exit status of adopted orphans once they end (else they stay zombies);
    this process's own children are left to their ``Popen``."""
    while not stop.wait(1.0):
        for pid in _children(os.getpid()) - own():
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)


def _adopt_orphans() -> None:
    """Become the parent of every orphan below this process (Linux's child subreaper):
    a check whose mkdocs already exited stays among the processes stopped at the end."""
    import ctypes
    import ctypes.util

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1)


_PR_SET_CHILD_SUBREAPER = 36


def run(command: list[str], state_path: Path) -> int:
    """Start the registry and the warm interpreter, describe them in ``state_path``,
    run ``command`` (if any) with ``HOKUSAI_DOCS_RUNNER`` and ``HOKUSAI_DOCS_LIVE`` set,
    and stop everything when it ends or on SIGINT/SIGTERM."""

    from tests.docs.warm import WarmInterpreter
    from tests.support.stack import Starter

    stopping: list[int] = []

    def stop(signum, frame) -> None:
        stopping.append(signum)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    _adopt_orphans()
    child = None
    shutil.rmtree(folder(state_path), ignore_errors=True)  # every runner starts empty
    starter = Starter(folder(state_path) / "data")
    warm = WarmInterpreter()
    state_path.unlink(missing_ok=True)
    reaping = threading.Event()

    def own() -> set[int]:
        registry = starter.registry.process if starter.registry is not None else None
        return {process.pid for process in (child, warm.process, registry) if process is not None}

    threading.Thread(target=_reap_adopted, args=(own, reaping), daemon=True).start()
    try:
        if command:
            env = {**os.environ, STATE_VARIABLE: str(state_path), LIVE_VARIABLE: "1"}
            child = subprocess.Popen(command, env=env)
        starter.start()
        warm.start()
        warm_env = warm.environment()
        registry = starter.get()
        snapshot(registry.data_dir)
        RunnerState(str(ROOT), source_stamp(), os.getpid(), registry.process.pid, registry.port,
                    str(registry.data_dir), registry.env, warm_pid(warm), warm_env).write(state_path)  # fmt: skip
        print(f"docs runner: registry on http://127.0.0.1:{registry.port}, warm interpreter "
              f"ready; runs use it with {STATE_VARIABLE}={_shown(state_path)}", flush=True)  # fmt: skip
        if child is None:
            signal.pause()
            return 0
        return child.wait()
    except KeyboardInterrupt:
        return 128 + (stopping[0] if stopping else signal.SIGINT)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        reaping.set()
        left = _descendants(os.getpid())
        state_path.unlink(missing_ok=True)
        if child is not None and child.poll() is None:
            child.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(10)
        starter.stop()
        warm.stop()
        for pid in left | _descendants(os.getpid()):  # nothing outlives the runner
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def warm_pid(warm) -> int:
    """The warm interpreter's pid; the runner's own when every block runs cold."""
    return warm.process.pid if warm.process is not None else os.getpid()


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def warm_environment(state_path: Path, env: dict[str, str]) -> dict[str, str]:
    """``env`` for a run that uses the runner at ``state_path``, with the runner's warm
    interpreter first on PATH: ``python -m pytest`` then starts with MLflow imported."""
    warm = RunnerState.read(state_path).warm_env
    env = {**env, **{k: v for k, v in warm.items() if k != "PATH"}}
    env["PATH"] = os.pathsep.join(p for p in (warm.get("PATH"), env.get("PATH")) if p)
    env[STATE_VARIABLE] = _shown(state_path)  # relative to the checkout, as serve prints it
    return env


# The warm interpreter imported anyio before pytest could rewrite its asserts: harmless.
WARM_PYTEST = ["-p", "no:cacheprovider", "-W", "ignore::pytest.PytestAssertRewriteWarning"]


def check(pytest_args: list[str], state_path: Path) -> int:
    """``pytest <args>`` forked from the runner's warm interpreter, against its
    registry, as the live preview runs a page; without a usable runner, as usual."""
    why = "none is running" if not state_path.exists() else problem(RunnerState.read(state_path))
    if why is None:
        env = warm_environment(state_path, dict(os.environ))
        command = ["python", "-m", "pytest", *WARM_PYTEST, *pytest_args]
    else:
        print(f"docs runner: not using {_shown(state_path)}: {why}", file=sys.stderr, flush=True)
        env, command = dict(os.environ), [sys.executable, "-m", "pytest", *pytest_args]
    return subprocess.call(command, cwd=ROOT, env=env)


def main(argv: list[str]) -> int:
    """``[--state FILE] [-- COMMAND…]``: run a runner (around COMMAND);
    ``check PYTEST-ARGS…``: check pages against the running one."""
    state_path = state_path_from(os.environ) or STATE_FILE
    if argv[:1] == ["check"]:
        return check(argv[1:], state_path)
    if argv[:1] == ["--state"]:
        state_path, argv = Path(argv[1]).resolve(), argv[2:]
    if argv[:1] == ["--"]:
        argv = argv[1:]
    return run(argv, state_path)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
