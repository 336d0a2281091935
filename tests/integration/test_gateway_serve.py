"""``hokusai gateway serve``: workers, settings from the environment, logs, metrics, faults.

The gateway runs as its own subprocess, exactly as deployed; MLflow is the session
registry's (its key store too, so keys made with ``hokusai keys create`` work), or, for
faults, a dead port or a deliberately slow server — never the shared registry stopped.
"""

from __future__ import annotations

import json
import re
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from hokusai.local import free_port
from tests.integration.gateway_serve import ServedGateway
from tests.support.client import request
from tests.support.fake_mlflow import FakeMlflow
from tests.support.polling import eventually
from tests.support.processes import mlflow_url_of

SEARCH = "/api/2.0/mlflow/experiments/search?max_results=1"
REQUESTS = re.compile(
    r'^hokusai_gateway_requests_total\{method="GET",'
    r'route="/api/2.0/mlflow/experiments/search",status="200"\} (\S+)$',
    re.MULTILINE,
)


@pytest.fixture(scope="module")
def served(local_registry, tmp_path_factory):
    """Two workers, configured partly by flags and partly by HOKUSAI_GATEWAY_* variables."""
    gateway = ServedGateway(
        tmp_path_factory.mktemp("serve"),
        "--workers",
        "2",
        "--db",
        f"sqlite:///{local_registry.data_dir / 'keys.db'}",
        env={
            "HOKUSAI_GATEWAY_MLFLOW_URL": mlflow_url_of(local_registry.process.pid),
            "HOKUSAI_GATEWAY_IDENTITY_HEADER": "X-Key-Owner",
        },
    )
    yield gateway
    gateway.stop()


def test_two_workers_serve_and_metrics_sum_over_both(served, local_registry):
    assert len(served.workers()) == 2
    before = sum(
        float(v) for v in REQUESTS.findall(request(served.url, "GET", "/metrics").body.decode())
    )
    for _ in range(30):  # a new connection each time: the kernel spreads them over workers
        answer = request(
            served.url, "GET", "/api/mlflow" + SEARCH, {"X-API-Key": local_registry.api_key}
        )
        assert answer.status == 200
    text = request(served.url, "GET", "/metrics").body.decode()
    counted = sum(float(v) for v in REQUESTS.findall(text))
    assert counted - before == 30
    assert "hokusai_gateway_request_duration_seconds_bucket" in text


def test_registrations_and_readiness_checks_with_two_workers(served, local_registry):
    failed = ("hokusai_gateway_registrations_total", {"outcome": "failed",
              "reason": "invalid_parameter_value"})  # fmt: skip

    def scrape() -> dict:
        text = request(served.url, "GET", "/metrics").body.decode()
        return {(s.name, tuple(sorted(s.labels.items()))): s.value
                for family in text_string_to_metric_families(text) for s in family.samples}  # fmt: skip

    def value(samples: dict, name: str, labels: dict) -> float | None:
        return samples.get((name, tuple(sorted(labels.items()))))

    before = scrape()
    body = json.dumps({"name": "serve-test-model", "source": "models:/m-0"}).encode()
    headers = {"X-API-Key": local_registry.api_key, "Content-Type": "application/json"}
    for _ in range(10):  # a new connection each time, spread over the workers
        answer = request(served.url, "POST", "/api/mlflow/api/2.0/mlflow/model-versions/create",
                         headers, body)  # fmt: skip
        assert answer.status == 400, answer.body

    def counted() -> dict | None:  # each request is counted just after its answer is sent
        samples = scrape()
        return samples if value(samples, *failed) - value(before, *failed) >= 10 else None

    after = eventually(counted, "the ten registrations to be counted")
    assert value(after, *failed) - value(before, *failed) == 10
    checks = {
        labels: n for (name, labels), n in after.items() if name == "hokusai_gateway_check_ok"
    }
    assert checks == {(("check", "mlflow"),): 1.0, (("check", "key_store"),): 1.0}


def test_ready_checks_mlflow_and_the_store(served):
    answer = request(served.url, "GET", "/ready")
    assert answer.status == 200
    assert answer.json() == {"ready": True, "checks": {"mlflow": "ok", "key_store": "ok"}}


def test_access_log_is_json_with_ids_never_a_key(served, local_registry):
    secret = local_registry.api_key
    answer = request(
        served.url,
        "GET",
        f"/api/mlflow{SEARCH}&api_key={secret}",
        {"X-Request-Id": "serve-log-check"},
    )
    assert answer.status == 200
    request(
        served.url,
        "GET",
        "/api/mlflow" + SEARCH,
        {"Authorization": f"Bearer {secret}xx", "X-Request-Id": "serve-log-401"},
    )
    deadline = time.monotonic() + 10  # a line is written once its response has been sent
    while time.monotonic() < deadline:
        log = served.log()
        if "serve-log-check" in log and "serve-log-401" in log:
            break
        time.sleep(0.1)
    assert secret not in log and "api_key" not in log
    entries = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    mine = [e for e in entries if e.get("request_id") == "serve-log-check"]
    assert len(mine) == 1
    assert mine[0]["key_id"].startswith("key_")
    assert mine[0]["query"] == "max_results=1"
    assert mine[0]["status"] == 200 and mine[0]["route"] == "/api/2.0/mlflow/experiments/search"
    refused = [e for e in entries if e.get("request_id") == "serve-log-401"]
    assert refused[0]["status"] == 401 and refused[0]["key_id"] is None


def test_mlflow_down_is_503_and_ready_says_so(tmp_path):
    gateway = ServedGateway(
        tmp_path,
        "--mlflow-url",
        f"http://127.0.0.1:{free_port()}",
        "--db",
        f"sqlite:///{tmp_path / 'keys.db'}",
    )
    try:
        from hokusai.gateway.keys import KeyStore

        _, secret = KeyStore(f"sqlite:///{tmp_path / 'keys.db'}").create("t")
        answer = request(gateway.url, "GET", "/api/mlflow" + SEARCH, {"X-API-Key": secret})
        assert answer.status == 503
        assert answer.json()["error_code"] == "TEMPORARILY_UNAVAILABLE"
        assert "is not reachable" in answer.json()["message"]
        ready = request(gateway.url, "GET", "/ready")
        assert ready.status == 503 and ready.json()["ready"] is False
        assert 'hokusai_gateway_upstream_errors_total{kind="unreachable"} 1.0' in (
            request(gateway.url, "GET", "/metrics").body.decode()
        )
    finally:
        gateway.stop()


def test_slow_mlflow_is_504_within_the_configured_timeout(tmp_path):
    slow = FakeMlflow(delay=5.0)
    gateway = ServedGateway(
        tmp_path,
        "--mlflow-url",
        slow.url,
        "--db",
        f"sqlite:///{tmp_path / 'keys.db'}",
        env={"HOKUSAI_GATEWAY_READ_TIMEOUT": "1"},
    )
    try:
        from hokusai.gateway.keys import KeyStore

        _, secret = KeyStore(f"sqlite:///{tmp_path / 'keys.db'}").create("t")
        target = "/api/mlflow/api/2.0/mlflow-artifacts/artifacts/slow"
        answer = request(gateway.url, "GET", target, {"X-API-Key": secret})
        assert answer.status == 504
        assert answer.json()["error_code"] == "DEADLINE_EXCEEDED"
        assert "(1 s without data)" in answer.json()["message"]
    finally:
        gateway.stop()
        slow.close()


def test_invalid_settings_fail_at_start_with_the_variable_named(tmp_path):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "hokusai", "gateway", "serve", "--db", "nosuchdb://x"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "Cannot open the key store 'nosuchdb://x'" in result.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "hokusai", "gateway", "serve"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**__import__("os").environ, "HOKUSAI_GATEWAY_WORKERS": "0"},
    )
    assert bad.returncode == 1 and "workers" in bad.stderr
