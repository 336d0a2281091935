"""Every failure the client can meet becomes a Hokusai error that says what to do.

Real MLflow client code against tiny local HTTP servers that answer fixed statuses
(no MLflow server needed); the real gateway is exercised in tests/integration.
"""

from __future__ import annotations

import json
import logging
import time

import pytest
import requests
from mlflow.exceptions import MlflowException, RestException

from hokusai import ModelRegistry, errors
from hokusai._translate import translate
from hokusai.config import Setting
from tests.unit.fake_registry import FixedAnswer, free_port

URI = "http://127.0.0.1:5000/api/mlflow"


def rest(code: str, message: str) -> RestException:
    return RestException({"error_code": code, "message": message})


def http_error(status: int, body: dict) -> requests.HTTPError:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode()
    url = URI + "/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/x.txt"
    return requests.HTTPError(f"{status} Client Error: for url: {url}", response=response)


def test_401_says_where_the_key_came_from_and_how_to_set_one():
    key = Setting("hk_test_x", "environment (HOKUSAI_API_KEY)")
    error = translate(
        rest("UNAUTHENTICATED", "API key hk1 has been revoked: create a new one."), URI, key
    )
    assert isinstance(error, errors.AuthenticationError)
    assert "revoked" in str(error)
    assert "The key came from environment (HOKUSAI_API_KEY)." in str(error)
    assert "export HOKUSAI_API_KEY=<key>" in str(error)
    assert "hokusai login --api-key <key>" in str(error)


def test_401_without_any_key_says_none_is_configured():
    error = translate(rest("UNAUTHENTICATED", "API key required: …"), URI, None)
    assert str(error).startswith(f"Authentication failed at {URI}: no API key is configured.")


def test_403_names_the_missing_scope():
    message = (
        "API key k1 lacks the 'write' scope needed for POST /api/2.0/mlflow/runs/create; "
        "its scopes are: read. Create one with `hokusai keys create --name <name> --scope write`."
    )
    error = translate(rest("PERMISSION_DENIED", message), URI)
    assert isinstance(error, errors.PermissionDeniedError)
    assert error.scope == "write"
    assert "a key with the 'write' scope" in str(error)


def test_seed_symptom_404_names_used_and_right_uri():
    # The symptom of the old platform: a proxy 404 the client shows as INTERNAL_ERROR.
    exc = MlflowException(
        "INTERNAL_ERROR: Response: {'detail': 'Not Found'}", error_code="INTERNAL_ERROR"
    )
    error = translate(
        exc, Setting("http://h:5000/mlflow-typo", "environment (MLFLOW_TRACKING_URI)")
    )
    assert isinstance(error, errors.RegistryNotFoundError)
    text = str(error)
    assert "INTERNAL_ERROR" not in text
    assert "http://h:5000/mlflow-typo is not the MLflow API" in text
    assert "environment (MLFLOW_TRACKING_URI)" in text
    assert "http://h:5000/api/mlflow" in text


def test_gateway_endpoint_not_found_is_a_registry_not_found():
    error = translate(rest("ENDPOINT_NOT_FOUND", "No MLflow API route at GET /x"), URI + "-typo")
    assert isinstance(error, errors.RegistryNotFoundError)


def test_missing_model_is_model_not_found():
    error = translate(
        rest("RESOURCE_DOES_NOT_EXIST", "Registered Model with name=x not found"), URI
    )
    assert isinstance(error, errors.ModelNotFoundError)


def test_bad_parameter_is_a_validation_error():
    error = translate(rest("INVALID_PARAMETER_VALUE", "Invalid model name"), URI)
    assert isinstance(error, errors.ValidationError)


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (401, "UNAUTHENTICATED", errors.AuthenticationError),
        (403, "PERMISSION_DENIED", errors.PermissionDeniedError),
        (404, "ENDPOINT_NOT_FOUND", errors.RegistryNotFoundError),
        (503, "TEMPORARILY_UNAVAILABLE", errors.RegistryUnavailableError),
    ],
)
def test_artifact_upload_http_errors_are_mapped(status, code, expected):
    error = translate(http_error(status, {"error_code": code, "message": "m"}), URI)
    assert isinstance(error, expected)


def test_artifact_404_with_plain_body_is_mapped():
    assert isinstance(
        translate(http_error(404, {"detail": "Not Found"}), URI), errors.RegistryNotFoundError
    )


def test_unknown_failure_never_shows_internal_error():
    error = translate(rest("INTERNAL_ERROR", "boom"), URI)
    assert type(error) is errors.HokusaiError
    assert "INTERNAL_ERROR" not in str(error)
    assert "hokusai doctor" in str(error)


@pytest.mark.parametrize(
    ("status", "code"), [(503, "TEMPORARILY_UNAVAILABLE"), (504, "DEADLINE_EXCEEDED")]
)
def test_5xx_fails_within_10_seconds_and_warns_about_retrying(
    sdk_retry_defaults, caplog, status, code
):
    server = FixedAnswer(status, {"error_code": code, "message": "down"})
    try:
        registry = ModelRegistry(tracking_uri=server.uri, api_key="hk_test_x")
        started = time.monotonic()
        with (
            caplog.at_level(logging.WARNING, logger="hokusai"),
            pytest.raises(errors.RegistryUnavailableError) as info,
        ):
            registry.get_tokenized_model("any-model")
        elapsed = time.monotonic() - started
    finally:
        server.close()
    assert elapsed < 10, elapsed
    assert server.requests == 3
    expected = f"temporarily unavailable (HTTP {status}, still failing after 3 attempts)"
    assert expected in str(info.value)
    retries = [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()]
    assert retries and f"HTTP {status}" in retries[0] and "attempt 2 of 3" in retries[0]


def test_proxy_404_through_real_client_is_registry_not_found():
    server = FixedAnswer(404, {"detail": "Not Found"})
    try:
        registry = ModelRegistry(
            tracking_uri=server.uri.replace("/api/mlflow", "/mlflow-typo"), api_key="k"
        )
        with pytest.raises(errors.RegistryNotFoundError) as info:
            registry.get_tokenized_model("any-model")
    finally:
        server.close()
    assert "INTERNAL_ERROR" not in str(info.value)
    assert server.uri in str(info.value)  # the right URI: same host, /api/mlflow


def test_connection_refused_says_start_local_registry():
    uri = f"http://127.0.0.1:{free_port()}/api/mlflow"
    started = time.monotonic()
    with pytest.raises(errors.RegistryUnavailableError) as info:
        ModelRegistry(tracking_uri=uri, api_key="k").get_tokenized_model("m")
    assert time.monotonic() - started < 10
    assert (
        f"Cannot connect to the registry at {uri} (URI from argument): connection refused."
        in str(info.value)
    )
    assert "hokusai local up" in str(info.value)


def test_tracking_has_no_silent_mock_mode():
    # DESIGN §6 item 6: the old ExperimentManager fell back to a mock without saying so.
    from hokusai.tracking import ExperimentManager, PerformanceTracker

    uri = f"http://127.0.0.1:{free_port()}/api/mlflow"
    with pytest.raises(errors.RegistryUnavailableError, match="connection refused"):
        ExperimentManager("x", tracking_uri=uri, api_key="k").experiment_id  # noqa: B018
    tracker = PerformanceTracker(tracking_uri=uri, api_key="k")
    with pytest.raises(errors.RegistryUnavailableError, match="hokusai local up"):
        tracker.track_improvement({"a": 0.5}, {"a": 0.6}, {"contributor_id": "alice"})
