"""The SDK's retry policy: per client, per thread, announced, never written to os.environ.

The real MLflow client against local servers that answer 503 (tests/unit/fake_registry.py).
"""

from __future__ import annotations

import inspect
import logging
import os
import subprocess
import sys
import threading

import pytest

from hokusai import ModelRegistry
from hokusai._retries import MLFLOW_MODULE, MLFLOW_SEND, RetryPolicy
from hokusai.errors import RegistryUnavailableError
from hokusai.tracking import ExperimentManager, PerformanceTracker
from tests.unit.fake_registry import FixedAnswer

DOWN = {"error_code": "TEMPORARILY_UNAVAILABLE", "message": "MLflow is down"}
CREATE = "/model-versions/create"
MLFLOW_PARAMETERS = [
    "method",
    "url",
    "max_retries",
    "backoff_factor",
    "backoff_jitter",
    "retry_codes",
    "raise_on_status",
    "allow_redirects",
    "respect_retry_after_header",
    "kwargs",
]


def test_the_mlflow_function_the_sdk_wraps_is_still_there_and_still_used():
    """hokusai/_retries.py wraps a private MLflow function. If this fails, MLflow changed
    how http_request sends requests: re-read mlflow/utils/rest_utils.py and request_utils.py
    and adapt hokusai/_retries.py (else SDK calls to a registry that is down hang silently
    for minutes again)."""
    import importlib

    from hokusai._retries import install

    module = importlib.import_module(MLFLOW_MODULE)
    install()
    wrapper = getattr(module, MLFLOW_SEND, None)
    assert wrapper is not None, f"{MLFLOW_MODULE}.{MLFLOW_SEND} is gone"
    original = wrapper.hokusai_wrapped
    assert list(inspect.signature(original).parameters) == MLFLOW_PARAMETERS, (
        f"{MLFLOW_MODULE}.{MLFLOW_SEND} changed its parameters"
    )
    assert MLFLOW_SEND in inspect.getsource(module.http_request), (
        f"{MLFLOW_MODULE}.http_request no longer sends through {MLFLOW_SEND}"
    )


def test_policy_comes_from_the_environment_where_set_else_sdk_defaults():
    assert RetryPolicy.from_environment({}) == RetryPolicy(2, 1.0, 30.0)
    mixed = RetryPolicy.from_environment({"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0"})
    assert (mixed.max_retries, mixed.backoff_factor, mixed.timeout) == (0, 1.0, 30.0)


def test_sdk_objects_leave_the_environment_alone(sdk_retry_defaults):
    before = dict(os.environ)
    with FixedAnswer(503, DOWN) as server:
        registry = ModelRegistry(tracking_uri=server.uri, api_key="hk_test_x")
        manager = ExperimentManager("e", tracking_uri=server.uri, api_key="hk_test_x")
        PerformanceTracker(tracking_uri=server.uri, api_key="hk_test_x")
        with pytest.raises(RegistryUnavailableError):
            registry.list_models()
        with pytest.raises(RegistryUnavailableError):
            manager.search_runs()
    assert dict(os.environ) == before


def test_each_client_keeps_the_policy_it_was_created_with(sdk_retry_defaults, monkeypatch):
    with FixedAnswer(503, DOWN) as server:
        bounded = ModelRegistry(tracking_uri=server.uri, api_key="hk_test_x")
        monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
        once = ExperimentManager("e", tracking_uri=server.uri, api_key="hk_test_x")
        with pytest.raises(RegistryUnavailableError, match="after 3 attempts"):
            bounded.list_models()
        assert server.requests == 3
        with pytest.raises(RegistryUnavailableError, match="after 1 attempt"):
            once.search_runs()
        assert server.requests == 4


def test_the_manager_and_the_registry_share_one_base_with_the_registry_uri():
    registry = ModelRegistry(tracking_uri="http://127.0.0.1:9/api/mlflow", api_key="hk_test_x")
    manager = ExperimentManager("e", tracking_uri="http://127.0.0.1:9/api/mlflow")
    for sdk_object in (registry, manager):
        assert sdk_object.client._registry_uri == "http://127.0.0.1:9/api/mlflow"
    assert PerformanceTracker(tracking_uri=registry.tracking_uri).experiments.client is not None


def test_a_caller_that_chose_its_own_retries_keeps_them(sdk_retry_defaults):
    """MLflow probes the server version with max_retries=0: the policy must not add retries."""
    from mlflow.utils.rest_utils import MlflowHostCreds, http_request

    with FixedAnswer(503, DOWN) as server:
        registry = ModelRegistry(tracking_uri=server.uri, api_key="hk_test_x")
        with registry.session(), pytest.raises(Exception, match="too many 503"):
            http_request(MlflowHostCreds(server.uri), "/version", "GET", max_retries=0)
        assert server.requests == 1


def test_a_create_sent_once_does_not_take_retries_from_other_threads(monkeypatch, caplog):
    """One thread is inside a send-once create (its answer delayed); meanwhile another
    thread's plain MLflow call and another client's call retry exactly as configured."""
    from mlflow import MlflowClient

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "0")
    outcome: dict[str, BaseException] = {}
    with (
        FixedAnswer(503, DOWN, hold=CREATE) as creating,
        FixedAnswer(503, DOWN) as failing,
        caplog.at_level(logging.WARNING, logger="hokusai"),
    ):
        registry = ModelRegistry(tracking_uri=creating.uri, api_key="hk_test_x")

        def create_once() -> None:
            try:
                with registry.session(), registry._sent_once():
                    registry.client.create_model_version("m", "models:/m-1", await_creation_for=0)
            except BaseException as exc:
                outcome["create"] = exc

        creator = threading.Thread(target=create_once)
        creator.start()
        assert creating.arrived.wait(60), "the create request never arrived"

        def plain_call() -> None:
            try:
                MlflowClient(tracking_uri=failing.uri).search_experiments()
            except BaseException as exc:
                outcome["plain"] = exc

        plain = threading.Thread(target=plain_call)
        plain.start()
        plain.join(60)
        other = ExperimentManager("e", tracking_uri=failing.uri, api_key="hk_test_x")
        with pytest.raises(RegistryUnavailableError, match="after 3 attempts"):
            other.search_runs()
        assert creator.is_alive(), "the create must still be waiting while the others ran"
        creating.release()
        creator.join(60)

    assert failing.paths["/api/mlflow/api/2.0/mlflow/experiments/search"] == 3
    assert failing.paths["/api/mlflow/api/2.0/mlflow/experiments/get-by-name"] == 3
    assert "too many 503" in str(outcome["plain"])
    assert creating.paths["/api/mlflow/api/2.0/mlflow" + CREATE] == 1
    assert isinstance(outcome["create"], RegistryUnavailableError)
    assert "after 1 attempt" in str(outcome["create"])


PLAIN_SCRIPT = """
import mlflow
try:
    mlflow.search_experiments()
except mlflow.exceptions.MlflowException as error:
    print("failed:", str(error)[-60:])
"""


def run_plain_mlflow(uri: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MLFLOW_HTTP_REQUEST_", "HOKUSAI_")) and k != "MLFLOW_TRACKING_TOKEN"
    }
    environment.update(MLFLOW_TRACKING_URI=uri, HOKUSAI_CONFIG="/nonexistent.toml", **env)
    return subprocess.run(
        [sys.executable, "-c", PLAIN_SCRIPT],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
    )


def test_plain_mlflow_with_a_hokusai_key_fails_after_3_announced_attempts():
    """Old-guide code starting with plain mlflow calls: no 4-minute silence."""
    with FixedAnswer(503, DOWN) as server:
        result = run_plain_mlflow(server.uri, HOKUSAI_API_KEY="hk_test_x")
    assert result.stdout.startswith("failed:"), result.stderr[-2000:]
    assert server.requests == 3
    assert all(h.get("X-API-Key") == "hk_test_x" for h in server.headers)
    announced = [line for line in result.stderr.splitlines() if "retrying" in line]
    assert announced == [
        "Registry request failed (HTTP 503) for "
        f"/api/mlflow/api/2.0/mlflow/experiments/search; retrying (attempt {n} of 3)…"
        for n in (2, 3)
    ]


def test_plain_mlflow_without_a_hokusai_key_is_left_to_mlflow():
    with FixedAnswer(503, DOWN) as server:
        result = run_plain_mlflow(
            server.uri,
            MLFLOW_HTTP_REQUEST_MAX_RETRIES="1",
            MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR="0",
        )
    assert result.stdout.startswith("failed:"), result.stderr[-2000:]
    assert server.requests == 2
    assert "retrying" not in result.stderr
