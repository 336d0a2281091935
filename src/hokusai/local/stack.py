"""``hokusai local up``: MLflow as a child process, the gateway in this process."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

from hokusai.config import LOCAL_HOST, LOCAL_PORT
from hokusai.local.mlflow_server import MlflowServer, answers

# Where `hokusai local up` serves by default (defined in hokusai.config, which the
# SDK's messages read too).
DEFAULT_HOST = LOCAL_HOST
DEFAULT_PORT = LOCAL_PORT


class _InFolder:
    """A file of a `DataDir`: ``data_dir.<attribute>`` is ``data_dir.path / name``."""

    def __init__(self, name: str, doc: str) -> None:
        self.name = name
        self.__doc__ = doc

    def __get__(self, data_dir: DataDir, owner: type | None = None) -> Path:
        return data_dir.path / self.name


@dataclass(frozen=True)
class DataDir:
    """Where a local registry keeps its state (default ``.hokusai/``).

    Examples:
        >>> DataDir(Path("/tmp/registry")).env_file
        PosixPath('/tmp/registry/env')
    """

    path: Path
    """The folder: MLflow's database and artifacts, the key store, the dev key."""

    @property
    def keys_url(self) -> str:
        """SQLAlchemy URL of the gateway's key store, ``keys.db`` in the folder."""
        return f"sqlite:///{self.path / 'keys.db'}"

    dev_key_file = _InFolder("dev-key", "The development key, created on first start (mode 0600).")
    env_file = _InFolder(
        "env", "The running registry's variables, for ``source .hokusai/env`` in a shell."
    )
    pid_file = _InFolder("local.pid", "The process id (``hokusai local down`` reads it).")
    log_file = _InFolder("local.log", "Output of a registry started with ``--detach``.")


def exports(host: str, port: int, api_key: str) -> list[str]:
    """The lines ``hokusai local up`` prints, ready to paste into a shell.

    MLflow prints a link to each run it logs (``<tracking URI>/#/experiments/…``); the
    gateway serves MLflow's web UI there, behind a sign-in with the key.

    Examples:
        >>> exports("127.0.0.1", 5000, "hk_test_x")[1]
        'export MLFLOW_TRACKING_URI=http://127.0.0.1:5000/api/mlflow'
    """
    base = f"http://{host}:{port}"
    return [
        f"export HOKUSAI_API_ENDPOINT={base}/api",
        f"export MLFLOW_TRACKING_URI={base}/api/mlflow",
        f"export HOKUSAI_API_KEY={api_key}",
    ]


def write_env_file(data: DataDir, lines: list[str]) -> None:
    """The export lines in ``DATA_DIR/env`` (0600: it holds the key) for other shells."""
    fd = os.open(data.env_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("# The settings of the registry `hokusai local up` runs: source this file.\n")
        handle.write("\n".join(lines) + "\n")


def read_env_file(data: DataDir) -> dict[str, str]:
    """The variables ``DATA_DIR/env`` exports (empty when no registry runs)."""
    try:
        lines = data.env_file.read_text().splitlines()
    except OSError:
        return {}
    pairs = (line.removeprefix("export ").split("=", 1) for line in lines)
    return {pair[0]: pair[1] for pair in pairs if len(pair) == 2 and not pair[0].startswith("#")}


def ensure_dev_key(store, data_dir: DataDir) -> str:
    """The development key: created on first start, kept (0600) in the data dir."""
    key_file = data_dir.dev_key_file
    if key_file.exists():
        secret = key_file.read_text().strip()
        stored = store.verify(secret)
        if stored is not None and not stored.is_revoked and not stored.is_expired():
            return secret
    _key, secret = store.create("local-dev", scopes=("read", "write", "admin"), environment="test")
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret + "\n")
    return secret


LOCAL_MLFLOW_CONNECTIONS = 10


def run_local_stack(data_dir: Path, port: int, host: str = DEFAULT_HOST) -> None:
    """Run until Ctrl-C/SIGTERM; both processes are stopped on the way out."""
    import uvicorn

    from hokusai.gateway import GatewaySettings, create_app
    from hokusai.gateway.keys import KeyStore

    data = DataDir(data_dir.resolve())
    data.path.mkdir(parents=True, exist_ok=True)
    mlflow = MlflowServer(data.path / "mlflow")
    mlflow.start()  # first: it is the slow part, the rest overlaps with its start-up
    data.pid_file.write_text(f"{os.getpid()}\n")
    try:
        store = KeyStore(data.keys_url)
        lines = exports(host, port, ensure_dev_key(store, data))
        for line in lines:
            print(line, flush=True)
        write_env_file(data, lines)
        # One MLflow worker serves at most 15 requests at once (SQLAlchemy pool 5 + overflow
        # 10); beyond that it fails after 30 s with "QueuePool limit ... reached" (a 400).
        # Queue the excess in the gateway's connection pool instead.
        settings = GatewaySettings(
            mlflow_url=mlflow.url, db_url=data.keys_url, max_connections=LOCAL_MLFLOW_CONNECTIONS
        )
        app = create_app(settings, store)
        config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
        # uvicorn re-raises the signal that stopped it once it is done; make that a no-op
        # so this `finally` gets to stop MLflow instead of the process dying on the spot.
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: None)
        asyncio.run(_serve(uvicorn.Server(config), mlflow, f"http://{host}:{port}"))
    finally:
        mlflow.stop()
        _forget(data)


def _forget(data: DataDir) -> None:
    """Remove the pid and env files, unless another registry has written its own since."""
    try:
        ours = data.pid_file.read_text().strip() == str(os.getpid())
    except OSError:
        ours = False
    if ours:
        for path in (data.pid_file, data.env_file):
            with contextlib.suppress(OSError):
                path.unlink()


async def _serve(server, mlflow: MlflowServer, gateway_url: str, timeout: float = 180.0) -> None:
    """Serve the gateway; print ``Ready.`` once MLflow and the gateway both answer."""
    serving = asyncio.ensure_future(server.serve())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not serving.done():
        problem = None
        process = mlflow.process
        if process is not None and process.poll() is not None:
            problem = f"MLflow exited with code {process.returncode}:\n{mlflow.log_tail()}"
        elif loop.time() > deadline:
            problem = f"MLflow did not answer within {timeout:.0f} s:\n{mlflow.log_tail()}"
        if problem:
            print(f"hokusai local up: {problem}", file=sys.stderr, flush=True)
            server.should_exit = True
            await serving
            raise SystemExit(1)
        both = await loop.run_in_executor(None, _both_answer, mlflow.url, gateway_url)
        if both:
            print("Ready.", flush=True)
            break
        await asyncio.sleep(0.2)
    await serving


def _both_answer(mlflow_url: str, gateway_url: str) -> bool:
    return answers(mlflow_url + "/health") and answers(gateway_url + "/health")
