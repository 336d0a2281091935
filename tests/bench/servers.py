"""The servers under test: MLflow, the gateway (a subprocess, so /proc sees it), nginx, and
a second MLflow with the gateway's rules inside (``--app-name hokusai``, in-process mode)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from hokusai.gateway.keys import KeyStore
from hokusai.local import MlflowServer, free_port, wait_for_health

NGINX_MISSING = "nginx: not installed (apt-get install nginx)"

NGINX_CONF = """\
{user}
worker_processes 1;
daemon off;
master_process on;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    upstream mlflow {{
        server 127.0.0.1:{upstream_port};
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{port};
        keepalive_requests 1000000;
        client_max_body_size 0;
        location / {{
            proxy_pass http://mlflow;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host 127.0.0.1:{upstream_port};
            proxy_request_buffering off;
            proxy_buffering off;
            proxy_read_timeout 300s;
        }}
    }}
}}
"""


def _stop(process: subprocess.Popen | None, timeout: float = 10.0) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class Stack:
    """MLflow + gateway (+ nginx when installed) + MLflow with the app plugin, on 127.0.0.1.

    Both MLflow servers have the same flags (one worker, SQLite, served artifacts) and
    data directories of their own; the gateway and the plugin read one key store.
    """

    workdir: Path
    mlflow: MlflowServer = field(init=False)
    inprocess: MlflowServer = field(init=False)
    gateway_port: int = field(default_factory=free_port)
    nginx_port: int = field(default_factory=free_port)
    gateway: subprocess.Popen | None = None
    nginx: subprocess.Popen | None = None
    api_key: str = ""

    def __post_init__(self) -> None:
        self.mlflow = MlflowServer(self.workdir / "mlflow")
        self.inprocess = MlflowServer(
            self.workdir / "mlflow-inprocess",
            app_name="hokusai",
            env={"HOKUSAI_GATEWAY_DB_URL": self.keys_url},
        )

    @property
    def keys_url(self) -> str:
        return f"sqlite:///{self.workdir / 'keys.db'}"

    @property
    def has_nginx(self) -> bool:
        return self.nginx is not None

    def start(self) -> None:
        # The key store first (the plugin opens it as it starts), then the slow MLflows;
        # the rest overlaps with their start-up.
        _key, self.api_key = KeyStore(self.keys_url).create("bench", scopes=("read", "write"))
        self.mlflow.start()
        self.inprocess.start()
        log = (self.workdir / "gateway.log").open("ab")
        self.gateway = subprocess.Popen(
            [sys.executable, "-m", "hokusai", "gateway", "serve",
             "--mlflow-url", self.mlflow.url, "--db", self.keys_url,
             "--port", str(self.gateway_port)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        log.close()
        self._start_nginx()
        self.mlflow.wait_ready()
        self.inprocess.wait_ready()
        wait_for_health(f"http://127.0.0.1:{self.gateway_port}/health", 120, self.gateway)
        if self.nginx is not None:
            wait_for_health(f"http://127.0.0.1:{self.nginx_port}/health", 30, self.nginx)

    def _start_nginx(self) -> None:
        binary = shutil.which("nginx") or next(
            (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.path.exists(p)), None
        )
        if binary is None:
            return
        tmp = self.workdir / "nginx"
        tmp.mkdir()
        conf = tmp / "nginx.conf"
        conf.write_text(
            NGINX_CONF.format(
                user="user root;" if os.geteuid() == 0 else "",
                tmp=tmp,
                port=self.nginx_port,
                upstream_port=self.mlflow.port,
            )
        )
        self.nginx = subprocess.Popen(
            [binary, "-p", str(tmp), "-c", str(conf), "-e", str(tmp / "error.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
        )  # fmt: skip

    def stop(self) -> None:
        _stop(self.nginx)
        _stop(self.gateway)
        for server in (self.mlflow, self.inprocess):
            with contextlib.suppress(Exception):
                server.stop()

    def log_tails(self) -> str:
        gateway_log = self.workdir / "gateway.log"
        text = gateway_log.read_text(errors="replace") if gateway_log.exists() else ""
        return (
            "gateway:\n"
            + "\n".join(text.splitlines()[-15:])
            + "\nmlflow:\n"
            + self.mlflow.log_tail()
            + "\nmlflow --app-name hokusai:\n"
            + self.inprocess.log_tail()
        )
