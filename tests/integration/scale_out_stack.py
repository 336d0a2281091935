"""The scale-out configuration of docs/gateway.md, all real and local, for one test module.

PostgreSQL (from the ``pgserver`` wheel) holds two databases, MLflow's backend store and
the gateway key store; moto's server is the S3-compatible artifact store; one
``mlflow server`` runs on both; two ``hokusai gateway serve`` processes share the key
store. The flag and variable names below are the ones the docs page shows, in the same
order (a test in tests/integration/test_scale_out.py compares them with the page).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from hokusai.local import free_port, wait_for_health
from hokusai.local.mlflow_server import LOW_MEMORY_ENV, MlflowServer, _die_with_parent

# What the docs page's scale-out block shows, in its order.
MLFLOW_SERVER_FLAGS = (
    "--host",
    "--port",
    "--backend-store-uri",
    "--artifacts-destination",
    "--allowed-hosts",
    "--workers",
)
MLFLOW_ENV = ("MLFLOW_S3_ENDPOINT_URL",)
GATEWAY_ENV = (
    "HOKUSAI_GATEWAY_MLFLOW_URL",
    "HOKUSAI_GATEWAY_DB_URL",
    "HOKUSAI_GATEWAY_HOST",
    "HOKUSAI_GATEWAY_PORT",
    "HOKUSAI_GATEWAY_WORKERS",
)
KEYS_CREATE_FLAGS = ("--name", "--db")

BUCKET = "hokusai-artifacts"
ARTIFACTS_PREFIX = "mlflow"
# moto accepts any credentials; MLflow's boto3 needs some.
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


class StackUnavailable(RuntimeError):
    """Postgres or the S3 stand-in could not start on this machine (the module skips)."""


def start_postgres(workdir: Path, databases: tuple[str, ...]):
    """A pgserver instance with ``databases`` created; returns (server, {name: URL})."""
    os.environ.setdefault("XDG_RUNTIME_DIR", str(workdir / "xdg"))
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        import pgserver
        import psycopg
        from sqlalchemy.engine import make_url

        server = pgserver.get_server(workdir / "pg", cleanup_mode="stop")
        admin = make_url(server.get_uri())  # postgresql://postgres:@/postgres?host=<socket dir>
        with psycopg.connect(
            dbname=admin.database, user=admin.username, host=admin.query["host"], autocommit=True
        ) as conn:
            for name in databases:
                conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:
        raise StackUnavailable(f"cannot start Postgres from pgserver: {exc}") from exc

    def url(name: str, driver: str) -> str:
        return admin.set(drivername=driver, database=name).render_as_string(hide_password=False)

    # As on the docs page: MLflow names psycopg 3 (SQLAlchemy's default is psycopg2); the
    # key store takes a plain postgresql:// URL and picks psycopg 3 itself.
    return server, {
        name: (url(name, "postgresql+psycopg"), url(name, "postgresql")) for name in databases
    }


class MotoS3:
    """``python -m moto.server`` on a free port, with one bucket."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "moto.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent,
            )

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.url,
            aws_access_key_id=AWS_ENV["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=AWS_ENV["AWS_SECRET_ACCESS_KEY"],
            region_name=AWS_ENV["AWS_DEFAULT_REGION"],
        )

    def create_bucket(self, name: str, timeout: float = 90.0) -> None:
        """Wait for the server, then make the bucket; :class:`StackUnavailable` if it can't."""
        try:
            wait_for_health(self.url + "/moto-api/", timeout, self.process, interval=0.3)
            self.client().create_bucket(Bucket=name)
        except Exception as exc:
            tail = self.log_path.read_text(errors="replace")[-2000:]
            raise StackUnavailable(f"cannot start moto's S3 server: {exc}\n{tail}") from exc

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        pages = (
            self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        )
        return [item["Key"] for page in pages for item in page.get("Contents", [])]

    def stop(self) -> None:
        stop_process(self.process)


class ScaleOutMlflow(MlflowServer):
    """``mlflow server`` on Postgres with artifacts proxied to S3 (the docs' flags)."""

    def __init__(self, workdir: Path, backend_store_uri: str, s3_endpoint: str) -> None:
        super().__init__(workdir)
        self.backend_store_uri = backend_store_uri
        self.env = {"MLFLOW_S3_ENDPOINT_URL": s3_endpoint, **AWS_ENV, **LOW_MEMORY_ENV}

    def command(self) -> list[str]:
        values = {
            "--host": "127.0.0.1",
            "--port": str(self.port),
            "--backend-store-uri": self.backend_store_uri,
            "--artifacts-destination": f"s3://{BUCKET}/{ARTIFACTS_PREFIX}",
            "--allowed-hosts": f"127.0.0.1:{self.port}",
            "--workers": "1",
        }
        assert tuple(values) == MLFLOW_SERVER_FLAGS
        return [sys.executable, "-m", "mlflow", "server"] + [
            part for flag, value in values.items() for part in (flag, value)
        ]

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **self.env},
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )


class EnvGateway:
    """``hokusai gateway serve`` configured only by the docs' ``HOKUSAI_GATEWAY_*`` variables."""

    def __init__(self, workdir: Path, mlflow_url: str, db_url: str, workers: int = 2) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"gateway-{self.port}.log"
        settings = {
            "HOKUSAI_GATEWAY_MLFLOW_URL": mlflow_url,
            "HOKUSAI_GATEWAY_DB_URL": db_url,
            "HOKUSAI_GATEWAY_HOST": "127.0.0.1",
            "HOKUSAI_GATEWAY_PORT": str(self.port),
            "HOKUSAI_GATEWAY_WORKERS": str(workers),
        }
        assert tuple(settings) == GATEWAY_ENV
        clean = {k: v for k, v in os.environ.items() if not k.startswith("HOKUSAI_GATEWAY_")}
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "hokusai", "gateway", "serve"],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**clean, **settings},
                start_new_session=True,  # uvicorn's workers are stopped with it
                preexec_fn=_die_with_parent,
            )

    def wait_ready(self, timeout: float = 120.0) -> None:
        try:
            wait_for_health(self.url + "/health", timeout, self.process)
        except Exception as exc:
            raise RuntimeError(f"gateway did not start: {exc}\n{self.log()[-3000:]}") from None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        stop_process(self.process, group=True)


def stop_process(process: subprocess.Popen, group: bool = False, timeout: float = 20.0) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            if group:
                os.killpg(process.pid, signal.SIGTERM)
            else:
                process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if group:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def wait_all(*waits, timeout: float) -> None:
    """Call each ``wait(timeout_left)`` in turn within one overall deadline."""
    deadline = time.monotonic() + timeout
    for wait in waits:
        wait(max(1.0, deadline - time.monotonic()))
