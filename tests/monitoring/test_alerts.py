"""The shipped alerts in a real Prometheus, scraping a real ``hokusai local up``.

The registry is this module's own (the test ends by stopping its MLflow); Prometheus
scrapes it and evaluates the rules every second, with the shipped configuration's
scrape job and the shipped rules with every ``for:`` set to ``0s``
(:func:`~tests.monitoring.prometheus.rules_without_waits`: the expressions, labels and
annotations are the shipped ones; the waits are checked at their shipped values by the
promtool unit tests in test_rules.py). Each condition is caused as a user or an outage
would cause it, and the alert is read from Prometheus's HTTP API.

The tests run in this order: quiet first, then each condition in turn. An alert that
fired stays active (its window is 5 to 15 minutes), so each test checks that its own
alert fires and that those whose condition was not caused (yet) stay quiet; each also
passes alone.
"""

from __future__ import annotations

import json
import os
import signal

import pytest

from tests.monitoring.prometheus import Prometheus, installed, rules_without_waits
from tests.support.client import request
from tests.support.processes import mlflow_child_of
from tests.support.stack import own_registry

pytestmark = pytest.mark.skipif(
    not installed(), reason="Prometheus is not installed (`apt-get install prometheus`)"
)
API = "/api/mlflow/api/2.0/mlflow"
WRONG_KEY = "hk_test_" + "NotAKeyOfThisRegistry" + "0" * 11


@pytest.fixture(scope="module")
def registry():
    with own_registry() as registry:
        yield registry


@pytest.fixture(scope="module")
def prometheus(registry, tmp_path_factory):
    target = registry.url.removeprefix("http://")
    server = Prometheus(tmp_path_factory.mktemp("prometheus"), [target], rules_without_waits())
    try:
        server.wait_for(lambda: server.value(f'up{{job="{server.job}"}}') == 1, "a scrape")
        yield server
    finally:
        server.stop()


def get_experiment(registry, key: str) -> int:
    return request(registry.url, "GET", f"{API}/experiments/get?experiment_id=0",
                   {"X-API-Key": key}).status  # fmt: skip


def test_all_is_quiet_while_all_is_well(registry, prometheus):
    assert get_experiment(registry, registry.api_key) == 200
    # A series' first value has no rate: requests counted before Prometheus first saw
    # the series are not in rate(); the next ones are.
    ok = 'hokusai_gateway_requests_total{route="/api/2.0/mlflow/experiments/get",status="200"}'
    prometheus.wait_for(lambda: prometheus.value(ok) == 1, "the first request's series")
    assert [get_experiment(registry, registry.api_key) for _ in range(5)] == [200] * 5
    prometheus.wait_for(
        lambda: prometheus.value("job:hokusai_gateway_requests:rate5m"), "the requests' rate"
    )
    prometheus.evaluated_again()
    assert prometheus.value('hokusai_gateway_check_ok{check="mlflow"}') == 1
    assert prometheus.alerts() == {}


def test_ten_requests_with_a_wrong_key_fire_auth_failures_high(registry, prometheus):
    assert [get_experiment(registry, WRONG_KEY) for _ in range(10)] == [401] * 10
    firing = prometheus.wait_for(
        lambda: "HokusaiAuthFailuresHigh" in prometheus.firing() and prometheus.alerts(),
        "HokusaiAuthFailuresHigh to fire",
    )
    (alert,) = firing["HokusaiAuthFailuresHigh"]
    assert alert["labels"]["severity"] == "warning"
    assert alert["labels"]["job"] == prometheus.job
    assert alert["annotations"]["runbook_url"].endswith("/troubleshooting/#hokusaiauthfailureshigh")
    assert set(firing) == {"HokusaiAuthFailuresHigh"}, firing


def test_failing_registrations_fire_registrations_failing(registry, prometheus):
    # A model URI MLflow cannot register from (no run, no logged model behind it).
    body = json.dumps({"name": "monitoring-test-model", "source": "models:/m-0"}).encode()
    headers = {"X-API-Key": registry.api_key, "Content-Type": "application/json"}
    for _ in range(3):
        answer = request(registry.url, "POST", f"{API}/model-versions/create", headers, body)
        assert answer.status == 400 and answer.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    prometheus.wait_for(
        lambda: "HokusaiRegistrationsFailing" in prometheus.firing(),
        "HokusaiRegistrationsFailing to fire",
    )
    failed = (
        'hokusai_gateway_registrations_total{outcome="failed",reason="invalid_parameter_value"}'
    )
    assert prometheus.value(failed) == 3
    assert "HokusaiMlflowUnreachable" not in prometheus.alerts()


def test_stopping_mlflow_fires_mlflow_unreachable(registry, prometheus):
    pid, _url = mlflow_child_of(registry.process.pid)
    os.killpg(pid, signal.SIGTERM)  # MLflow runs in a process group of its own
    firing = prometheus.wait_for(
        lambda: "HokusaiMlflowUnreachable" in prometheus.firing() and prometheus.alerts(),
        "HokusaiMlflowUnreachable to fire",
    )
    (alert,) = firing["HokusaiMlflowUnreachable"]
    assert alert["labels"]["instance"] == registry.url.removeprefix("http://")
    assert alert["labels"]["severity"] == "critical"
    assert get_experiment(registry, registry.api_key) == 503
    assert "HokusaiLatencyHigh" not in prometheus.alerts()  # never caused: quiet throughout
