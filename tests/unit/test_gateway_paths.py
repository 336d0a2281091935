"""Mount prefixes, traversal refusal and api_key stripping, on raw paths."""

from __future__ import annotations

import pytest

from hokusai.gateway.headers import strip_query_key
from hokusai.gateway.paths import UnsafePath, check_raw_path, split_mount

API = "/api/2.0/mlflow/runs/get"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/mlflow" + API, ("/api/mlflow", API)),
        ("/mlflow" + API, ("/mlflow", API)),
        (API, ("", API)),
        (
            "/api/mlflow/api/2.0/mlflow-artifacts/artifacts/1/x",
            ("/api/mlflow", "/api/2.0/mlflow-artifacts/artifacts/1/x"),
        ),
        ("/api/mlflow/v1/traces", ("/api/mlflow", "/v1/traces")),
        ("/v1/traces", ("", "/v1/traces")),
        (
            "/mlflow/gateway/chat/mlflow/invocations",
            ("/mlflow", "/gateway/chat/mlflow/invocations"),
        ),
        ("/gateway/mlflow/v1/models", ("", "/gateway/mlflow/v1/models")),
        ("/other" + API, None),
        ("/mlflowx" + API, None),
        ("/ajax-api/2.0/mlflow/runs/get", None),
        ("/", None),
    ],
)
def test_split_mount(path, expected):
    assert split_mount(path) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "/api/mlflow/../api/2.0/mlflow/runs/get",
        "/api/mlflow/api/2.0/mlflow-artifacts/artifacts/1/../../etc/passwd",
        "/api/mlflow/api/2.0/mlflow-artifacts/artifacts/1/./x",
        "/api/mlflow/api/2.0/mlflow-artifacts/artifacts/%2e%2e/x",
        "/api/mlflow/api/2.0/mlflow-artifacts/artifacts/%2E%2e/x",
        "/api/mlflow/api/2.0/mlflow-artifacts/artifacts/1/a%2fb",
        "/api/mlflow/api/2.0/mlflow-artifacts/artifacts/1/a%2Fb",
        "/api/mlflow/api/2.0/mlflow-artifacts/artifacts/1/a%5cb",
        "/api/mlflow/api/2.0/mlflow-artifacts/artifacts/1/a\\b",
        "/api/mlflow/api/2.0/mlflow-artifacts/artifacts/1/%252e%252e/x",
        "/api/mlflow/api/2.0/mlflow-artifacts/artifacts/1/a%252fb",
        "/api/mlflow/api/2.0/mlflow-artifacts/artifacts/1/%25252e%25252e/x",
        "/api/mlflow/api/2.0/mlflow-artifacts/artifacts/1/a%00b",
        "/api/mlflow/api/2.0/mlflow-artifacts/artifacts/1/caf\u00e9",
    ],
)
def test_traversal_in_any_encoding_is_refused(raw):
    with pytest.raises(UnsafePath):
        check_raw_path(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "/api/mlflow/api/2.0/mlflow/runs/get",
        "/api/mlflow/api/2.0/mlflow-artifacts/artifacts/1/models/m-1/artifacts/MLmodel",
        "/api/2.0/mlflow-artifacts/artifacts/1/my%20file%2Bv1.txt",
        "/api/2.0/mlflow-artifacts/artifacts/1/a..b/.hidden/x...y",
        "/api/2.0/mlflow-artifacts/artifacts/1/100%25",
    ],
)
def test_ordinary_paths_pass(raw):
    check_raw_path(raw)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ""),
        ("run_id=1", "run_id=1"),
        ("api_key=k", ""),
        ("run_id=1&api_key=k&path=a%2Fb+c", "run_id=1&path=a%2Fb+c"),
        ("api%5Fkey=k&x=%20", "x=%20"),
        ("x=1&api_key=k&api_key=j", "x=1"),
        ("not_api_key=1&api_keys=2", "not_api_key=1&api_keys=2"),
    ],
)
def test_strip_query_key_keeps_the_rest_byte_for_byte(query, expected):
    assert strip_query_key(query) == expected
