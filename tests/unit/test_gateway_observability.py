"""What the gateway tells its operators: /metrics as Prometheus reads it, and the
header-debug line.

The rules core runs around a scripted inner app (what MLflow would answer), so each
test decides MLflow's answer and reads what a scrape, or the log, then shows. The proxy
mode, with a real socket between gateway and MLflow: tests/unit/test_gateway_proxy.py;
several workers: tests/integration/test_gateway_serve.py; a real Prometheus:
tests/monitoring/.
"""

from __future__ import annotations

import ast
import asyncio
import json
import logging
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from hokusai.gateway import core, metrics
from hokusai.gateway.core import Gateway
from hokusai.gateway.header_debug import HEADER_DEBUG_LOGGER
from hokusai.gateway.routes import RouteTable, load_table
from hokusai.gateway.settings import GatewaySettings
from tests.support.client import asgi_call

GATEWAY_SOURCE = Path(core.__file__).parent
CREATE = "/api/mlflow" + metrics.REGISTRATION_ROUTE


class Mlflow:
    """The inner app: answers ``status`` with ``body``, after ``delay`` seconds."""

    def __init__(self) -> None:
        self.status, self.body, self.delay = 200, b"{}", 0.0

    async def __call__(self, scope, receive, send) -> None:
        await asyncio.sleep(self.delay)
        await send({"type": "http.response.start", "status": self.status, "headers": []})
        await send({"type": "http.response.body", "body": self.body})


@pytest.fixture
def mlflow():
    return Mlflow()


def gateway(mlflow, store, mlflow_check=None, **settings) -> Gateway:
    settings = GatewaySettings(db_url=store.url, access_log=False, **settings)
    return Gateway(mlflow, settings, store, mlflow_check=mlflow_check)


def send(
    app,
    path: str,
    secret: str | None = None,
    method: str = "GET",
    body: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
    query: bytes = b"",
):
    headers = [*(headers or []), *([(b"x-api-key", secret.encode())] if secret else [])]
    chunks = [body] if body else None
    return asyncio.run(
        asgi_call(app, method, path.encode(), query, headers=headers, body_chunks=chunks)
    )


def scrape(app) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """``{(sample name, sorted labels): value}`` of one scrape of /metrics."""
    text = send(app, "/metrics").body.decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples, name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def test_every_defined_metric_is_exported_and_no_other(mlflow, store):
    app = gateway(mlflow, store, mlflow_check=lambda: asyncio.sleep(0, "ok"), metrics_key_ids=True)
    _key, secret = store.create("t", ("read", "write"))
    send(app, "/api/mlflow/api/2.0/mlflow/runs/get", secret)
    text = send(app, "/metrics").body.decode()
    exported = {
        line.split()[2]: line.split()[3] for line in text.splitlines() if line.startswith("# TYPE")
    }
    assert exported == {m.name: m.kind for m in metrics.METRICS}


def test_key_ids_are_no_label_unless_configured(mlflow, store):
    key, secret = store.create("t", ("read",))
    app = gateway(mlflow, store)
    send(app, "/api/mlflow/api/2.0/mlflow/runs/get", secret)
    text = send(app, "/metrics").body.decode()
    assert key.id not in text and metrics.KEY_REQUESTS.name not in text

    app = gateway(mlflow, store, metrics_key_ids=True)
    send(app, "/api/mlflow/api/2.0/mlflow/runs/get", secret)
    samples = scrape(app)
    assert value(samples, metrics.KEY_REQUESTS.name, key_id=key.id, status="200") == 1


def test_series_with_fixed_labels_start_at_zero(mlflow, store):
    samples = scrape(gateway(mlflow, store))
    for reason in metrics.AUTH_FAILURE_REASONS:
        assert value(samples, metrics.AUTH_FAILURES.name, reason=reason) == 0
    for kind in metrics.UPSTREAM_ERROR_KINDS:
        assert value(samples, metrics.UPSTREAM_ERRORS.name, kind=kind) == 0
    registrations = metrics.REGISTRATIONS.name
    assert value(samples, registrations, outcome="succeeded", reason="none") == 0
    for reason in metrics.REGISTRATION_FAILURE_REASONS:
        assert value(samples, registrations, outcome="failed", reason=reason) == 0


def test_registrations_are_counted_by_outcome_and_mlflows_error_code(mlflow, store):
    app = gateway(mlflow, store)
    _key, writer = store.create("w", ("read", "write"))
    _key, reader = store.create("r", ("read",))
    send(app, CREATE, writer, "POST", b'{"name": "m", "source": "models:/m-1"}')
    mlflow.status = 404
    mlflow.body = json.dumps(
        {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "Registered Model 'm' not found"}
    ).encode()
    send(app, CREATE, writer, "POST", b'{"name": "m"}')
    send(app, CREATE, writer, "POST", b'{"name": "m"}')
    send(app, CREATE, reader, "POST", b'{"name": "m"}')  # the gateway refuses: no write scope
    mlflow.status, mlflow.body = 500, b"<html>Internal Server Error</html>"
    send(app, CREATE, writer, "POST", b'{"name": "m"}')
    send(app, "/api/mlflow/api/2.0/mlflow/registered-models/create", writer, "POST", b"{}")

    samples = scrape(app)
    counted = {
        labels: n for (name, labels), n in samples.items() if name == metrics.REGISTRATIONS.name
    }
    assert {dict(labels)["reason"]: n for labels, n in counted.items() if n} == {
        "none": 1,
        "resource_does_not_exist": 2,
        "permission_denied": 1,
        "other": 1,
    }


def test_mlflows_time_is_observed_only_when_mlflow_answered(mlflow, store):
    app = gateway(mlflow, store)
    _key, secret = store.create("t", ("read",))
    mlflow.delay = 0.3
    send(app, "/api/mlflow/api/2.0/mlflow/runs/get", secret)
    send(app, "/api/mlflow/api/2.0/mlflow/experiments/get", "hk_test_" + "x" * 32)
    samples = scrape(app)
    upstream = metrics.UPSTREAM_DURATION.name
    route = "/api/2.0/mlflow/runs/get"
    assert value(samples, upstream + "_count", route=route) == 1
    assert 0.3 <= value(samples, upstream + "_sum", route=route) < 2
    assert value(samples, upstream + "_bucket", route=route, le="0.25") == 0
    refused = "/api/2.0/mlflow/experiments/get"
    assert value(samples, upstream + "_count", route=refused) is None
    assert value(samples, metrics.REQUESTS.name, route=refused, method="GET", status="401") == 1


def test_the_ready_checks_are_gauges_and_a_hung_mlflow_counts_as_failing(
    mlflow, store, monkeypatch
):
    async def refused() -> str:
        return "MLflow not reachable: ConnectionRefusedError"

    samples = scrape(gateway(mlflow, store, mlflow_check=refused))
    assert value(samples, metrics.CHECK_OK.name, check="mlflow") == 0
    assert value(samples, metrics.CHECK_OK.name, check="key_store") == 1

    async def hung() -> str:
        await asyncio.sleep(30)
        return "ok"

    monkeypatch.setattr(core, "METRICS_CHECK_TIMEOUT", 0.2)
    samples = scrape(gateway(mlflow, store, mlflow_check=hung))
    assert value(samples, metrics.CHECK_OK.name, check="mlflow") == 0

    in_process = scrape(gateway(mlflow, store))  # MLflow is the process answering
    assert value(in_process, metrics.CHECK_OK.name, check="mlflow") is None
    assert value(in_process, metrics.CHECK_OK.name, check="key_store") == 1


def _string_arguments(call: ast.Call, position: int, keyword: str) -> list[str]:
    found = [kw.value for kw in call.keywords if kw.arg == keyword]
    if len(call.args) > position:
        found.append(call.args[position])
    return [node.value for node in found if isinstance(node, ast.Constant)]


def _labels_given_in_the_source(function: str, position: int, keyword: str) -> set[str]:
    """Every constant string passed as a label to ``function`` in the gateway's code."""
    labels = set()
    for module in GATEWAY_SOURCE.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == function:
                labels.update(_string_arguments(node, position, keyword))
    return labels


def test_every_reason_and_kind_the_gateway_gives_is_a_documented_label_value():
    reasons = _labels_given_in_the_source("CredentialError", 2, "reason")
    reasons |= _labels_given_in_the_source("refusal", 99, "reason")
    assert {"missing", "unknown", "revoked", "expired", "scope"} <= reasons
    assert reasons <= set(metrics.AUTH_FAILURE_REASONS), "document new reasons in metrics.py"
    kinds = _labels_given_in_the_source("Failure", 0, "kind")
    assert {"unreachable", "timeout", "disconnected"} <= kinds
    assert kinds | {"aborted"} == set(metrics.UPSTREAM_ERROR_KINDS)


def test_the_registration_route_is_mlflows():
    match = RouteTable(load_table()).match(metrics.REGISTRATION_ROUTE, "POST")
    assert match.route is not None and match.route.template == metrics.REGISTRATION_ROUTE


def debug_lines(caplog) -> list[dict]:
    return [r.fields for r in caplog.records if r.name == HEADER_DEBUG_LOGGER]


def test_header_debug_is_off_by_default(mlflow, store, caplog):
    _key, secret = store.create("t", ("read",))
    with caplog.at_level(logging.DEBUG):
        send(gateway(mlflow, store), "/api/mlflow/api/2.0/mlflow/runs/get", secret)
    assert not debug_lines(caplog)


def test_header_debug_names_the_credential_and_the_headers_never_a_value(mlflow, store, caplog):
    key, secret = store.create("t", ("read",))
    app = gateway(mlflow, store, debug_headers=True)
    client_headers = [
        (b"authorization", f"Bearer {secret}".encode()),
        (b"x-hokusai-key-id", b"key_forged"),
        (b"user-agent", b"mlflow-python-client/3.17.2"),
    ]
    send(app, "/api/mlflow/api/2.0/mlflow/runs/get", headers=client_headers, query=b"run_id=1")
    send(app, "/api/mlflow/api/2.0/mlflow/runs/get", query=f"api_key={secret}x".encode())
    forwarded, refused = debug_lines(caplog)

    assert forwarded["credential"] == ["Authorization (Bearer)"]
    assert forwarded["status"] == 200 and forwarded["route"] == "/api/2.0/mlflow/runs/get"
    assert forwarded["received"] == [
        f"authorization: <{len(secret) + 7} bytes>",
        "x-hokusai-key-id: <10 bytes>",
        "user-agent: <27 bytes>",
    ]
    assert [h.split(":")[0] for h in forwarded["forwarded"]] == [
        "user-agent",
        "x-hokusai-key-id",
        "x-request-id",
    ]
    assert forwarded["removed"] == ["authorization"]  # x-hokusai-key-id: replaced, not removed
    assert refused["credential"] == ["api_key query parameter"]
    assert (refused["status"], refused["forwarded"], refused["removed"]) == (401, None, None)
    lines = json.dumps([forwarded, refused])
    assert secret[8:] not in lines and "key_forged" not in lines and key.id not in lines
