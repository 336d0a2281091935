"""Facts about MLflow the gateway and the SDK rely on (docs/contributing/mlflow-facts.md),
checked against the session's real ``mlflow server``."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from hokusai import ModelRegistry
from hokusai.errors import ConfigurationError
from tests.support.processes import mlflow_url_of

SEARCH = "/api/2.0/mlflow/experiments/search"
DEFAULT_EXPERIMENT = "/api/2.0/mlflow/experiments/get-by-name?experiment_name=Default"


@pytest.fixture(scope="module")
def mlflow_url(local_registry) -> str:
    return mlflow_url_of(local_registry.process.pid)


@pytest.mark.parametrize("host", ["registry.example.com", "evil.example:443"])
def test_mlflow_refuses_a_host_it_does_not_know_in_plain_text(mlflow_url, host):
    # A proxy forwarding the public Host gets this 403 unless MLflow lists the host
    # (--allowed-hosts, port-exact): the gateway sends MLflow's own address instead.
    answer = requests.post(mlflow_url + SEARCH, json={}, headers={"Host": host}, timeout=30)
    assert answer.status_code == 403
    assert answer.text.startswith("Invalid Host header")


def test_its_own_address_and_localhost_are_accepted(mlflow_url):
    port = mlflow_url.rsplit(":", 1)[1]
    for host in (f"127.0.0.1:{port}", f"localhost:{port}"):
        answer = requests.get(mlflow_url + DEFAULT_EXPERIMENT, headers={"Host": host}, timeout=30)
        assert answer.status_code == 200, (host, answer.text)


class _PublicHostProxy(BaseHTTPRequestHandler):
    """A forward proxy that passes the client's Host on, as a careless reverse proxy does."""

    upstream = ""
    session = requests.Session()
    session.trust_env = False  # never through HTTP_PROXY, which points at this proxy

    def do_GET(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        path = "/" + self.path.split("/", 3)[3]  # absolute-form target: http://host/path
        headers = {"Host": self.headers["Host"], "Content-Type": "application/json"}
        answer = self.session.request(
            self.command, self.upstream + path, data=body, headers=headers, timeout=30
        )
        self.send_response(answer.status_code)
        self.send_header("Content-Length", str(len(answer.content)))
        self.end_headers()
        self.wfile.write(answer.content)

    do_POST = do_GET

    def log_message(self, *args) -> None:
        pass


def test_the_sdk_explains_the_host_check(mlflow_url, monkeypatch):
    handler = type("Proxy", (_PublicHostProxy,), {"upstream": mlflow_url})
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.server_port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    registry = ModelRegistry(tracking_uri="http://registry.example.com", api_key="hk_test_x")
    try:
        with pytest.raises(ConfigurationError, match="--allowed-hosts"):
            registry.list_models()
    finally:
        proxy.shutdown()
