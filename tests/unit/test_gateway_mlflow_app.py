"""The rules core as ``mlflow server --app-name hokusai`` runs it, around a recording app.

What the inner app receives is what MLflow's handlers would see: these tests check
that credentials never get there, that the key's id does, and that refusals never
reach it. The same app against a real ``mlflow server``:
tests/integration/test_inprocess_plugin.py.
"""

from __future__ import annotations

import asyncio

import pytest

from hokusai.gateway.core import Gateway
from hokusai.gateway.mlflow_app import NOT_UVICORN, create_app
from hokusai.gateway.settings import GatewaySettings
from tests.support.client import Reply, asgi_call

GET = "/api/2.0/mlflow/runs/get"


class Recorder:
    """An inner ASGI app that records scopes and answers 200."""

    def __init__(self) -> None:
        self.scopes: list[dict] = []

    async def __call__(self, scope, receive, send) -> None:
        self.scopes.append(scope)
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})


@pytest.fixture
def inner():
    return Recorder()


@pytest.fixture
def app(inner, store, monkeypatch):
    for name in ("HOKUSAI_GATEWAY_REMOVE_HEADERS", "HOKUSAI_GATEWAY_FORWARD_HEADERS"):
        monkeypatch.delenv(name, raising=False)
    return Gateway(inner, GatewaySettings(db_url=store.url, access_log=False), store)


def call(app, path: str, query: bytes = b"", headers=(), method: str = "GET") -> Reply:
    """Run one request through ``app``, as uvicorn would hand it over."""
    raw = [(n.lower().encode(), v.encode()) for n, v in headers]
    return asyncio.run(asgi_call(app, method, path.encode(), query, raw))


def test_mlflow_sees_the_key_id_never_the_key(app, inner, store):
    key, secret = store.create("t", ("read",))
    headers = [
        ("Authorization", f"Bearer {secret}"),
        ("X-API-Key", secret),
        ("X-Hokusai-Key-Id", "key_forged"),
        ("Host", "127.0.0.1:5000"),
    ]
    reply = call(app, "/api/mlflow" + GET, f"run_id=1&api_key={secret}".encode(), headers)
    assert reply.status == 200
    (seen,) = inner.scopes
    assert (seen["path"], seen["raw_path"], seen["query_string"]) == (
        GET,
        GET.encode(),
        b"run_id=1",
    )
    names = [n for n, _ in seen["headers"]]
    assert b"authorization" not in names and b"x-api-key" not in names
    assert (b"x-hokusai-key-id", key.id.encode()) in seen["headers"]
    assert names.count(b"x-hokusai-key-id") == 1 and (b"host", b"127.0.0.1:5000") in seen["headers"]
    assert secret not in repr(seen)
    assert reply.scope["query_string"] == b"run_id=1"  # uvicorn's access log reads this scope


def test_a_refusal_never_reaches_mlflow(app, inner, store):
    _key, secret = store.create("t", ("read",))
    reply = call(
        app, "/api/mlflow/api/2.0/mlflow/experiments/create", f"api_key={secret}".encode(),
        method="POST",
    )  # fmt: skip
    assert (reply.status, reply.json()["error_code"]) == (403, "PERMISSION_DENIED")
    assert not inner.scopes and reply.scope["query_string"] == b""
    assert reply.header("x-request-id")


@pytest.mark.parametrize("mount", ["", "/mlflow", "/api/mlflow"])
@pytest.mark.parametrize("path", ["/", "/static-files/main.js", "/ajax-api/2.0/mlflow/runs/get"])
def test_the_ui_reaches_mlflow_under_every_mount_without_the_mount(app, inner, store, mount, path):
    _key, secret = store.create("t", ("read",))
    reply = call(app, mount + path, headers=[("X-API-Key", secret)])
    assert reply.status == 200
    (seen,) = inner.scopes
    assert seen["path"] == path


@pytest.mark.parametrize("path", ["/other", "/api/mlflow/nothing", "/mlflow/static-files"])
def test_what_is_neither_api_nor_ui_is_not_found(app, inner, store, path):
    _key, secret = store.create("t", ("read",))
    reply = call(app, path, headers=[("X-API-Key", secret)])
    assert (reply.status, reply.json()["error_code"]) == (404, "ENDPOINT_NOT_FOUND")
    assert not inner.scopes


def test_health_and_metrics_need_no_key_and_stay_out_of_mlflow(app, inner):
    health = call(app, "/health")
    assert (health.status, health.body) == (200, b'{"status": "ok"}')
    metrics = call(app, "/metrics")
    assert metrics.status == 200 and b"hokusai_gateway_requests_total" in metrics.body
    assert not inner.scopes


def test_lifespan_reaches_mlflow_and_closes_the_store(app, inner, store, monkeypatch):
    closed = []
    monkeypatch.setattr(store, "close", lambda: closed.append(True))
    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    sent: list[str] = []

    async def receive():
        return next(messages)

    async def send(message):
        sent.append(message["type"])

    asyncio.run(app({"type": "lifespan"}, receive, send))
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"] and closed


def test_create_app_refuses_a_wsgi_server(monkeypatch):
    monkeypatch.setenv("_MLFLOW_SGI_NAME", "gunicorn")
    with pytest.raises(RuntimeError) as error:
        create_app()
    assert str(error.value) == NOT_UVICORN
