"""The rules core's own pieces: the credential step, the header policy, the key lookup.

The end-to-end behaviour (refusals, forwarding) is tested through both modes in
test_gateway_proxy.py and test_gateway_mlflow_app.py; these tests pin what those cannot
see: that a second kind of credential plugs into the same rules, that a client cannot
strip the gateway's own headers, and where the key store is read.
"""

from __future__ import annotations

import asyncio
import threading

import pytest

from hokusai.gateway.credentials import ApiKeyCredentials, CredentialError
from hokusai.gateway.headers import HeaderPolicy
from hokusai.gateway.keys import ApiKey, KeyStore
from hokusai.gateway.responses import Refusal
from hokusai.gateway.routes import RouteTable, load_table
from hokusai.gateway.rules import Decision, Rules
from hokusai.gateway.settings import GatewaySettings
from hokusai.gateway.upstream import Upstream

RUNS_GET = "/api/mlflow/api/2.0/mlflow/runs/get"
RUNS_CREATE = "/api/mlflow/api/2.0/mlflow/runs/create"


def scope(path: str, headers=(), method: str = "GET") -> dict:
    return {"method": method, "path": path, "raw_path": path.encode(), "headers": list(headers)}


class Cookie:
    """Another kind of credential: a cookie naming a key (not ambient, so no same-origin
    check; the real session cookie's: test_gateway_ui.py)."""

    ambient = False

    def __init__(self, keys: dict[bytes, ApiKey]) -> None:
        self.keys = keys

    async def authenticate(self, headers, query):
        for name, value in headers:
            if name == b"cookie":
                if value not in self.keys:
                    raise CredentialError("UNAUTHENTICATED", "Session expired.", "session")
                return self.keys[value]
        return None


def test_a_second_kind_of_credential_plugs_into_the_same_rules(store):
    read_key, secret = store.create("reader", ("read",))
    rules = Rules(
        RouteTable(load_table()),
        [ApiKeyCredentials(store, allow_query=True), Cookie({b"session=1": read_key})],
    )

    def decide(path, headers, method="GET"):
        return asyncio.run(rules.decide(scope(path, headers, method), ""))

    by_cookie = decide(RUNS_GET, [(b"cookie", b"session=1")])
    assert isinstance(by_cookie, Decision) and by_cookie.key.id == read_key.id
    # the same scope check applies, whichever credential named the key
    denied = decide(RUNS_CREATE, [(b"cookie", b"session=1")], "POST")
    assert isinstance(denied, Refusal) and denied.error_code == "PERMISSION_DENIED"
    expired = decide(RUNS_GET, [(b"cookie", b"session=2")])
    assert isinstance(expired, Refusal) and (expired.status, expired.reason) == (401, "session")
    by_key = decide(RUNS_GET, [(b"x-api-key", secret.encode())])
    assert isinstance(by_key, Decision) and by_key.key.id == read_key.id
    nothing = decide(RUNS_GET, [])
    assert isinstance(nothing, Refusal) and nothing.reason == "missing"


@pytest.mark.parametrize("local", [True, False])
def test_a_local_store_is_read_inline_any_other_in_a_worker_thread(store, monkeypatch, local):
    key, secret = store.create("t", ("read",))
    threads: list[int] = []
    verify = store.verify

    def recording_verify(presented: str):
        threads.append(threading.get_ident())
        return verify(presented)

    monkeypatch.setattr(store, "verify", recording_verify)
    monkeypatch.setattr(KeyStore, "is_local", property(lambda _self: local))
    credentials = ApiKeyCredentials(store, allow_query=True)

    async def main() -> tuple[ApiKey | None, int]:
        found = await credentials.authenticate([(b"x-api-key", secret.encode())], "")
        return found, threading.get_ident()

    found, loop_thread = asyncio.run(main())
    assert found is not None and found.id == key.id
    assert (threads == [loop_thread]) is local


def test_a_client_cannot_make_the_proxy_drop_the_gateways_own_headers():
    settings = GatewaySettings(mlflow_url="http://127.0.0.1:5001")
    sent = [
        (b"connection", b"keep-alive, X-Hokusai-Key-Id, x-request-id, x-private"),
        (b"x-private", b"hop"),
    ]
    for_mlflow = HeaderPolicy(settings).for_mlflow(sent, "key_1", "req-1")
    head = Upstream(settings).request("GET", b"/x", for_mlflow).head
    assert b"\r\nx-hokusai-key-id: key_1\r\n" in head and b"\r\nx-request-id: req-1\r\n" in head
    assert b"x-private" not in head.lower() and b"connection" not in head.lower()


def test_forward_headers_keeps_what_the_body_and_the_connection_need():
    policy = HeaderPolicy(
        GatewaySettings(forward_headers=("x-trace",), remove_headers=("x-debug",))
    )
    sent = [
        (b"host", b"registry"),
        (b"x-trace", b"t"),
        (b"x-other", b"dropped"),
        (b"content-type", b"application/json"),
        (b"transfer-encoding", b"chunked"),
        (b"x-api-key", b"hk_test_x"),
    ]
    assert policy.for_mlflow(sent, "key_1", "req-1") == [
        (b"host", b"registry"),
        (b"x-trace", b"t"),
        (b"content-type", b"application/json"),
        (b"transfer-encoding", b"chunked"),  # in-process, MLflow's app reads the framing
        (b"x-hokusai-key-id", b"key_1"),
        (b"x-request-id", b"req-1"),
    ]
