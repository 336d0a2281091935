"""A warm Python for the docs: ``python`` and ``hokusai`` in executed blocks start forked
from an interpreter that has already imported MLflow, scikit-learn and the SDK.

Importing MLflow costs 3-6 s on the 2-core CI machine, and the pages run about twenty
commands and snippets that each start a new interpreter; cold, that was most of
``nox -s doctest``'s time. The command a block shows is still exactly what runs:

* the block's shell finds ``python``/``python3``/``hokusai`` first in a temporary
  ``bin`` folder (:func:`WarmInterpreter.environment`), where a tiny shim
  (``warm_shim.py``) passes its argv, environment, working directory and its
  stdin/stdout/stderr file descriptors to this server over a Unix socket;
* the server forks; the child takes those descriptors as 0/1/2, that environment and
  directory, ``sys.argv`` and ``sys.path[0]`` as the interpreter would set them, and
  runs the file / ``-c`` code / stdin / ``-m`` module / console script as
  ``__main__``, then exits as the interpreter does (threads joined, atexit hooks run,
  its objects finalised, stdio flushed) without tearing down the preloaded modules;
* signals sent to the shim (``kill $GATEWAY``) are relayed, and the shim exits with
  the child's exit code or signal.

``python`` with options the shim does not know runs the real interpreter. Set
``HOKUSAI_DOCS_COLD=1`` to run every block cold, as before. Where the fork server
cannot run (it needs Linux: ``fork``, ``pidfd_open``, file descriptors passed over
Unix sockets), :func:`unsupported` says why and every block runs cold, with a warning.

The server limits BLAS/OpenMP to one thread before it preloads: scikit-learn's ``fit``
would otherwise start OpenBLAS's thread pool, and a process forked from a parent with
a live thread pool can deadlock in its first BLAS call.

Run as ``python -m tests.docs.warm SOCKET``; it prints ``ready`` when it accepts.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import ctypes.util
import gc
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import traceback
import types
import warnings
from collections.abc import Callable
from pathlib import Path

SHIM = Path(__file__).with_name("warm_shim.py")
SHIMMED = ("python", "python3", "hokusai")
READY = "ready"
START_TIMEOUT = 120.0
COLD = os.environ.get("HOKUSAI_DOCS_COLD") == "1"
# Set in the server before numpy/scipy load: forked children inherit no thread pool.
SINGLE_THREADED = {
    name: "1"
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")
}
_PR_SET_PDEATHSIG = 1


def unsupported() -> str | None:
    """Why the fork server cannot run on this platform, or ``None`` when it can.

    Examples:
        >>> import sys
        >>> unsupported() is None or sys.platform != "linux"
        True
    """
    if sys.platform != "linux":
        return f"the warm interpreter needs Linux (this is {sys.platform})"
    missing = [
        name
        for owner, name in ((os, "fork"), (os, "pidfd_open"), (socket, "recv_fds"))
        if not hasattr(owner, name)
    ]
    if missing:
        return f"this Python lacks {', '.join(missing)}"
    try:
        os.close(os.pidfd_open(os.getpid()))
    except OSError as exc:  # a kernel older than 5.3, or a sandbox that forbids it
        return f"pidfd_open does not work here ({exc})"
    return None


def die_with_parent() -> None:
    """Ask the kernel to SIGTERM this process when its parent dies (glibc or musl)."""
    library = ctypes.util.find_library("c")
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(library, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


# --- the server side -------------------------------------------------------------------


def preload() -> None:
    """Import what the pages' programs import, and save one model (MLflow computes its
    package map and imports skops on the first save): the work every child skips."""
    import mlflow
    import mlflow.sklearn
    from sklearn.linear_model import LogisticRegression

    import hokusai.cli
    import hokusai.core.registry
    import hokusai.tracking  # noqa: F401

    model = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
    with tempfile.TemporaryDirectory() as tmp:
        mlflow.sklearn.save_model(model, os.path.join(tmp, "m"), pip_requirements=["scikit-learn"])
    gc.freeze()  # children's collections skip the preloaded objects (and leave their pages shared)


def serve(address: str) -> Callable[[], int]:
    """Accept until killed; in a forked child, return the program it must run."""
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(address)
    listener.listen(64)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # handlers are reaped automatically
    print(READY, flush=True)
    while True:
        connection, _ = listener.accept()
        if os.fork() == 0:
            listener.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            return handle(connection)
        connection.close()


def handle(connection: socket.socket) -> Callable[[], int]:
    """One shim's request: fork the program, report its pid and then how it ended."""
    message, fds, _, _ = socket.recv_fds(connection, 1 << 16, 3)
    while not message.endswith(b"\n"):
        chunk = connection.recv(1 << 16)
        if not chunk:
            os._exit(1)
        message += chunk
    wanted = json.loads(message)
    pid = os.fork()
    if pid == 0:
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        for fd in fds:
            os.close(fd)
        connection.close()
        return lambda: run(wanted)
    for fd in fds:
        os.close(fd)
    connection.sendall(json.dumps({"pid": pid}).encode() + b"\n")
    os._exit(report(connection, pid))


def report(connection: socket.socket, pid: int) -> int:
    """Wait for the program; kill it if the shim goes away first."""
    process = os.pidfd_open(pid)
    watched = [connection, process]
    while process not in select.select(watched, [], [])[0]:
        if not connection.recv(1):  # the shim died (SIGKILL): take the program with it
            os.kill(pid, signal.SIGKILL)
            watched = [process]
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        outcome = {"signal": os.WTERMSIG(status)}
    else:
        outcome = {"exit": os.WEXITSTATUS(status)}
    with contextlib.suppress(OSError):
        connection.sendall(json.dumps(outcome).encode() + b"\n")
    return 0


# --- the forked program ------------------------------------------------------------------


def run(wanted: dict) -> int:
    """Become the program the shim was asked to start; return its exit code."""
    os.environ.clear()
    os.environ.update(wanted["env"])
    os.chdir(wanted["cwd"])
    sys.argv = list(wanted["argv"])
    mode = wanted["mode"]
    main = types.ModuleType("__main__")
    main.__dict__["__builtins__"] = __builtins__
    sys.modules["__main__"] = main
    try:
        if mode == "console_script":
            from importlib.metadata import entry_points

            sys.argv[0:0] = [wanted["executable"]]
            sys.path[0] = os.path.dirname(wanted["executable"])
            (script,) = entry_points(group="console_scripts", name=wanted["name"])
            result = script.load()()
            return result if isinstance(result, int) else 0
        if mode == "module":
            import runpy

            sys.path[0] = os.getcwd()
            runpy.run_module(wanted["module"], run_name="__main__", alter_sys=True)
            return 0
        if mode == "file":
            filename = os.path.abspath(sys.argv[0])  # as the interpreter sets __file__
            sys.path[0], source = os.path.dirname(filename), Path(filename).read_bytes()
        elif mode == "code":
            sys.path[0], filename, source = "", "<string>", wanted["code"]
        else:  # stdin
            sys.path[0], filename, source = "", "<stdin>", sys.stdin.read()
        if mode == "file":
            main.__dict__["__file__"] = filename
        exec(compile(source, filename, "exec"), main.__dict__)
        return 0
    except SystemExit as exc:
        return exit_code(exc.code)
    except BaseException as exc:
        print_user_traceback(exc)
        return 1


def finish(code: int) -> None:
    """Exit as the interpreter would, minus tearing down the preloaded modules (≈1 s):
    wait for non-daemon threads, run atexit hooks, finalise the program's own objects
    (unclosed files get flushed), flush stdio."""
    threading._shutdown()
    atexit._run_exitfuncs()
    sys.modules["__main__"].__dict__.clear()
    gc.collect()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


def exit_code(code: object) -> int:
    """What the interpreter makes of ``sys.exit(code)``."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def print_user_traceback(exc: BaseException) -> None:
    """The traceback the real interpreter prints: without this module's frames."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    traceback.print_exception(type(exc), exc, tb)


def main() -> None:
    address = sys.argv[1]
    die_with_parent()  # the harness stops it too; this covers the harness being killed
    os.environ.update(SINGLE_THREADED)
    preload()
    program = serve(address)
    finish(program())


# --- the harness side ---------------------------------------------------------------------


class WarmInterpreter:
    """Starts the server in the background; :meth:`environment` waits until it is ready."""

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self.tmp: tempfile.TemporaryDirectory | None = None
        self.log: Path | None = None
        self._env: dict[str, str] | None = None
        self._warned = False
        self.cold_reason = "HOKUSAI_DOCS_COLD=1" if COLD else unsupported()

    @property
    def cold(self) -> bool:
        """True when every block runs in a new interpreter (``cold_reason`` says why)."""
        return self.cold_reason is not None

    def start(self) -> None:
        if self.cold or self.process is not None or self._env is not None:
            return
        from tests.docs.runner import attached

        runner = attached().state
        if runner is not None:  # the docs runner's, already warm (tests/docs/runner.py)
            self._env = dict(runner.warm_env)
            return
        self.tmp = tempfile.TemporaryDirectory(prefix="hokusai-warm-")
        root = Path(self.tmp.name)
        bin_dir = root / "bin"
        bin_dir.mkdir()
        source = SHIM.read_text()
        for name in SHIMMED:
            shim = bin_dir / name
            shim.write_text(f"#!{sys.executable} -SE\n{source}")
            shim.chmod(0o755)
        address = str(root / "warm.sock")
        self.log = root / "warm.log"
        with self.log.open("w") as log:  # the preload's own warnings; shown if it fails
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.docs.warm", address],
                cwd=Path(__file__).resolve().parents[2],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        self._env = {
            "HOKUSAI_DOCS_WARM_SOCKET": address,
            "HOKUSAI_DOCS_REAL_BIN": str(Path(sys.executable).parent),
            "PATH": str(bin_dir),
        }

    def environment(self) -> dict[str, str]:
        """Variables that route a block's ``python``/``hokusai`` to the warm server
        (empty when cold); ``PATH`` holds only the shim folder, to prepend."""
        if self.cold:
            if not COLD and not self._warned:
                self._warned = True
                warnings.warn(f"docs run cold: {self.cold_reason}", stacklevel=2)
            return {}
        self.start()
        if self.process is not None and self.process.stdout is not None:
            ready, _, _ = select.select([self.process.stdout], [], [], START_TIMEOUT)
            line = self.process.stdout.readline().strip() if ready else ""
            if line != READY:
                raise RuntimeError(
                    f"the docs' warm interpreter did not start; run with HOKUSAI_DOCS_COLD=1 "
                    f"to bypass it. Its output:\n{line}\n{self.log.read_text()[-4000:]}"
                )
            self.process.stdout.close()
            self.process.stdout = None
        return dict(self._env)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        if self.tmp is not None:
            self.tmp.cleanup()


if __name__ == "__main__":
    main()
