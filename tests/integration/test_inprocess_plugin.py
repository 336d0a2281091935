"""In-process mode: ``mlflow server --app-name hokusai`` keeps the proxy's rules.

One real MLflow server for the module runs the app plugin. The proxy (the real
``Gateway`` under uvicorn in this process, as ``hokusai gateway serve`` runs it) sits
in front of a recording fake MLflow. Both read the same key store, so the same request
with the same key must get the same answer: a refusal with the same status, error code
and message, an admitted request MLflow's (real, or the fake's) 200.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hokusai.gateway.credentials import MISSING
from hokusai.local import MlflowServer
from tests.support.client import request
from tests.support.fake_mlflow import FakeMlflow
from tests.support.polling import eventually
from tests.support.servers import ThreadedGateway

DOCS = Path(__file__).resolve().parents[2] / "docs" / "gateway.md"
API = "/api/mlflow/api/2.0/mlflow"
GET_DEFAULT = "/api/2.0/mlflow/experiments/get?experiment_id=0"
ARTIFACT = "/api/2.0/mlflow-artifacts/artifacts/0/r/artifacts/a.txt"
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def proxy(keys_url):
    with FakeMlflow() as fake, ThreadedGateway(fake.url, keys_url) as gateway:
        yield gateway


@pytest.fixture(scope="module")
def keys(proxy) -> dict[str, tuple[str, str]]:
    """label -> (key id, secret), in the store both modes read."""
    made = {
        "write": proxy.key("read", "write"),
        "read": proxy.key("read"),
        "revoked": proxy.key("read", "write"),
        "expired": proxy.key("read", expires_at=datetime.now(UTC) - timedelta(seconds=1)),
    }
    proxy.store.revoke(made["revoked"][0])
    return made


def secret(keys, label: str) -> str:
    return keys[label][1]


# (case, method, target, headers as (name, key label or literal), body, expected status)
CASES = [
    ("no key", "GET", "/api/mlflow" + GET_DEFAULT, {}, None, 401),
    ("unknown key", "GET", "/api/mlflow" + GET_DEFAULT, {"X-API-Key": "hk_live_" + "x" * 32}, None, 401),
    ("revoked key", "GET", "/api/mlflow" + GET_DEFAULT, {"X-API-Key": "@revoked"}, None, 401),
    ("expired key", "GET", "/api/mlflow" + GET_DEFAULT, {"X-API-Key": "@expired"}, None, 401),
    ("basic auth", "GET", "/api/mlflow" + GET_DEFAULT, {"Authorization": "Basic dTpw"}, None, 401),
    ("empty bearer", "GET", "/api/mlflow" + GET_DEFAULT, {"Authorization": "Bearer "}, None, 401),
    ("two different keys", "GET", "/api/mlflow" + GET_DEFAULT,
     {"X-API-Key": "@write", "Authorization": "Bearer @read"}, None, 400),
    ("malformed key", "GET", "/api/mlflow" + GET_DEFAULT, {"X-API-Key": "hk live"}, None, 400),
    ("good key, X-API-Key", "GET", "/api/mlflow" + GET_DEFAULT, {"X-API-Key": "@read"}, None, 200),
    ("good key, Bearer", "GET", "/api/mlflow" + GET_DEFAULT, {"Authorization": "Bearer @read"}, None, 200),
    ("good key, ApiKey", "GET", "/api/mlflow" + GET_DEFAULT, {"Authorization": "ApiKey @read"}, None, 200),
    ("good key, ?api_key=", "GET", "/api/mlflow" + GET_DEFAULT + "&api_key=@read", {}, None, 200),
    ("same key in two styles", "GET", "/api/mlflow" + GET_DEFAULT,
     {"X-API-Key": "@write", "Authorization": "Bearer @write"}, None, 200),
    ("mount /mlflow", "GET", "/mlflow" + GET_DEFAULT, {"X-API-Key": "@read"}, None, 200),
    ("bare /api/2.0", "GET", GET_DEFAULT, {"X-API-Key": "@read"}, None, 200),
    ("read-only POST with a read key", "POST", API + "/experiments/search",
     {"X-API-Key": "@read", **JSON}, b'{"max_results": 1}', 200),
    ("read key writes", "POST", API + "/experiments/create",
     {"X-API-Key": "@read", **JSON}, b'{"name": "refused"}', 403),
    ("read key uploads", "PUT", "/api/mlflow" + ARTIFACT, {"X-API-Key": "@read"}, b"hi", 403),
    ("write key creates", "POST", API + "/experiments/create",
     {"X-API-Key": "@write", **JSON}, b'{"name": "@unique"}', 200),
    ("wrong method", "DELETE", "/api/mlflow" + GET_DEFAULT, {"X-API-Key": "@write"}, None, 405),
    ("unknown API route", "GET", API + "/experiments/list", {"X-API-Key": "@read"}, None, 404),
    ("UI", "GET", "/", {"X-API-Key": "@read"}, None, 200),
    ("UI under a mount", "GET", "/api/mlflow/", {"X-API-Key": "@read"}, None, 200),
    ("ajax-api without a key or session", "POST", API.replace("/api/2.0", "/ajax-api/2.0")
     + "/experiments/search", JSON, b"{}", 401),
    ("UI static files", "GET", "/static-files/index.html", {"X-API-Key": "@read"}, None, 200),
    ("ajax-api", "POST", "/ajax-api/2.0/mlflow/experiments/search",
     {"X-API-Key": "@read", **JSON}, b'{"max_results": 1}', 200),
    ("ajax-api, read key writes", "POST", "/mlflow/ajax-api/2.0/mlflow/experiments/create",
     {"X-API-Key": "@read", **JSON}, b'{"name": "refused"}', 403),
    ("graphql", "POST", "/graphql", {"X-API-Key": "@read", **JSON},
     b'{"query": "query { mlflowGetExperiment(input: {experimentId: \\"0\\"}) '
     b'{ experiment { name } } }"}', 200),
    ("version", "GET", "/version", {"X-API-Key": "@read"}, None, 200),
    ("the assistant", "GET", "/ajax-api/3.0/mlflow/assistant/config", {"X-API-Key": "@write"},
     None, 404),
    ("no such page", "GET", "/api/mlflow/nothing", {"X-API-Key": "@read"}, None, 404),
    ("dot segments", "GET", API + "/../../../ajax-api/2.0/mlflow/users/create",
     {"X-API-Key": "@write"}, None, 400),
    ("encoded slash", "GET", "/api/mlflow/api/2.0/mlflow-artifacts/artifacts/1%2f..%2fsecret",
     {"X-API-Key": "@write"}, None, 400),
    ("oversized headers", "GET", "/api/mlflow" + GET_DEFAULT,
     {"X-API-Key": "@read", "X-Junk": "x" * 70_000}, None, 431),
    ("health", "GET", "/health", {}, None, 200),
]  # fmt: skip


def _fill(text: str, keys) -> str:
    for label in keys:
        text = text.replace(f"@{label}", secret(keys, label))
    return text


def _send(base_url: str, case: tuple, keys, unique: str):
    _name, method, target, headers, body, _status = case
    filled = {name: _fill(value, keys) for name, value in headers.items()}
    if body is not None:
        body = _fill(body.decode(), keys).replace("@unique", unique).encode()
    return request(base_url, method, _fill(target, keys), filled, body)


def _shape(answer, url: str = "") -> tuple[int, str | None, str | None]:
    """(status, error_code, message) of an answer; JSON-less answers have no code.

    The server's own ``url`` in a message (a 404's tracking URI is built from the
    address the request was sent to) reads ``<registry>``.
    """
    try:
        body = answer.json()
    except ValueError:
        return answer.status, None, None
    if not isinstance(body, dict):
        return answer.status, None, None
    message = body.get("message")
    if url and isinstance(message, str):
        message = message.replace(url, "<registry>")
    return answer.status, body.get("error_code"), message


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_proxy_and_plugin_answer_alike(plugin, proxy, keys, case):
    unique = f"inprocess-{uuid.uuid4().hex[:8]}"
    via_proxy = _send(proxy.url, case, keys, unique)
    via_plugin = _send(plugin.url, case, keys, unique)
    expected = case[-1]
    assert (via_proxy.status, via_plugin.status) == (expected, expected), (
        via_proxy.body[:300],
        via_plugin.body[:300],
    )
    if expected >= 400:  # refused by the rules: the very same error, code and message
        assert _shape(via_plugin, plugin.url) == _shape(via_proxy, proxy.url)
        assert _shape(via_plugin)[1] is not None
        assert via_plugin.header("WWW-Authenticate") == via_proxy.header("WWW-Authenticate")
        assert via_plugin.header("Allow") == via_proxy.header("Allow")
    assert via_plugin.header("X-Request-Id") and via_proxy.header("X-Request-Id")
    for label in keys:  # no key is ever echoed
        assert secret(keys, label).encode() not in via_plugin.body


def test_no_key_gets_the_proxy_message(plugin):
    answer = request(plugin.url, "GET", "/api/mlflow" + GET_DEFAULT)
    assert answer.status == 401
    assert answer.json() == {"error_code": "UNAUTHENTICATED", "message": MISSING}


def test_ready_checks_the_key_store(plugin):
    answer = request(plugin.url, "GET", "/ready")
    assert (answer.status, answer.json()) == (200, {"ready": True, "checks": {"key_store": "ok"}})


def test_metrics_count_a_failed_registration_and_mlflows_time(plugin, keys):
    """The same metrics as the proxy's, MLflow's time being its app's in this process."""
    create = "/api/2.0/mlflow/model-versions/create"
    failed = ('hokusai_gateway_registrations_total{outcome="failed",'
              'reason="invalid_parameter_value"} ')  # fmt: skip

    def count(text: str, prefix: str) -> float:
        lines = [line for line in text.splitlines() if line.startswith(prefix)]
        return float(lines[0].rsplit(" ", 1)[1]) if lines else 0.0

    before = request(plugin.url, "GET", "/metrics").body.decode()
    body = b'{"name": "inprocess-metrics-model", "source": "models:/m-0"}'
    answer = request(plugin.url, "POST", "/api/mlflow" + create,
                     {"X-API-Key": secret(keys, "write"), **JSON}, body)  # fmt: skip
    assert (answer.status, answer.json()["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    upstream = f'hokusai_gateway_upstream_duration_seconds_count{{route="{create}"}} '

    def counted() -> str | None:  # the request is counted just after its answer is sent
        text = request(plugin.url, "GET", "/metrics").body.decode()
        done = count(text, failed) > count(before, failed)
        return text if done else None

    after = eventually(counted, "the registration to be counted")
    assert count(after, failed) - count(before, failed) == 1
    assert count(after, upstream) - count(before, upstream) == 1
    assert 'hokusai_gateway_check_ok{check="key_store"} 1.0' in after
    assert 'check="mlflow"' not in after  # MLflow is the process answering


CLIENT = textwrap.dedent(
    """
    import json, os, sys
    import mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    name, read_key = sys.argv[1:]
    mlflow.set_experiment(name)
    with mlflow.start_run() as run:
        mlflow.log_metric("accuracy", 0.91)
        mlflow.log_text("hello", "model/notes.txt")
    client = MlflowClient()
    client.create_registered_model(name)
    version = client.create_model_version(
        name, f"runs:/{run.info.run_id}/model", run_id=run.info.run_id
    )
    result = {
        "metric": client.get_run(run.info.run_id).data.metrics["accuracy"],
        "artifacts": [f.path for f in client.list_artifacts(run.info.run_id, "model")],
        "version": version.version,
        "source_run": client.get_model_version(name, version.version).run_id == run.info.run_id,
    }
    os.environ["MLFLOW_TRACKING_TOKEN"] = read_key  # read on every request
    try:
        client.create_experiment(name + "-refused")
    except MlflowException as exc:
        result["read_key_writes"] = str(exc)
    print(json.dumps(result))
    """
)


def test_plain_mlflow_client_with_a_tracking_token(plugin, keys):
    """Only environment variables, as a user sets them: tracking URI and token."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOKUSAI_", "MLFLOW_TRACKING"))}
    env.update(
        MLFLOW_TRACKING_URI=plugin.url + "/api/mlflow",
        MLFLOW_TRACKING_TOKEN=secret(keys, "write"),
        MLFLOW_HTTP_REQUEST_MAX_RETRIES="0",
        MLFLOW_DISABLE_TELEMETRY="true",
    )
    name = f"inprocess-client-{uuid.uuid4().hex[:6]}"
    done = subprocess.run(
        [sys.executable, "-c", CLIENT, name, secret(keys, "read")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    refused = result.pop("read_key_writes")
    assert result == {
        "metric": 0.91,
        "artifacts": ["model/notes.txt"],
        "version": "1",
        "source_run": True,
    }
    assert refused.startswith(f"PERMISSION_DENIED: API key {keys['read'][0]} lacks the 'write'")


def test_no_key_reaches_the_server_log(plugin, keys):
    """Runs last in the module: every key above was sent, in every style."""
    log = plugin.log_path.read_text(errors="replace")
    assert '"key_id": "' + keys["write"][0] + '"' in log  # the JSON access log names the key
    for label in keys:
        assert secret(keys, label) not in log, label


def test_the_docs_start_the_server_tested_here(tmp_path):
    """docs/gateway.md's in-process block: the flags and variable of the fixture above."""
    text = DOCS.read_text()
    section = text[text.index("## In-process mode") :]
    block = section[section.index("```bash") : section.index("```\n", section.index("```bash") + 7)]
    server = block[block.index("mlflow server") :]
    tested = MlflowServer(tmp_path, app_name="hokusai").command()
    assert sorted(re.findall(r"(?<=\s)--[a-z-]+", server)) == sorted(
        arg for arg in tested if arg.startswith("--")
    )
    assert "--app-name hokusai" in server
    assert re.findall(r"^export (\w+)=", block, re.MULTILINE) == ["HOKUSAI_GATEWAY_DB_URL"]
    assert re.search(r"^hokusai keys create --name [\w-]+$", block, re.MULTILINE)
