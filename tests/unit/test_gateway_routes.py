"""The route table: shipped JSON equals MLflow's own, and read/write is derived right."""

from __future__ import annotations

import json
from importlib.metadata import version

import pytest

from hokusai.gateway import routes
from hokusai.gateway.routes import RouteTable, live_table, load_table

TABLE = RouteTable(load_table())


def test_shipped_table_equals_the_installed_mlflow():
    shipped = json.loads(routes._TABLE_FILE.read_text())
    assert shipped["mlflow_version"] == version("mlflow-skinny")
    # Importing MLflow's server takes ~13 s: this is the only place that pays for it.
    assert shipped["routes"] == live_table()


def test_table_is_only_the_client_api():
    assert TABLE.routes
    assert all(r.template.startswith(routes.API_PREFIXES) for r in TABLE.routes)
    assert TABLE.match("/ajax-api/2.0/mlflow/runs/get").route is None
    assert TABLE.match("/graphql", "POST").route is None


@pytest.mark.parametrize(
    ("path", "method", "template", "writes"),
    [
        ("/api/2.0/mlflow/runs/get", "GET", "/api/2.0/mlflow/runs/get", False),
        ("/api/2.0/mlflow/runs/get", "HEAD", "/api/2.0/mlflow/runs/get", False),
        ("/api/2.0/mlflow/runs/create", "POST", "/api/2.0/mlflow/runs/create", True),
        ("/api/2.0/mlflow/runs/search", "POST", "/api/2.0/mlflow/runs/search", False),
        ("/api/2.0/mlflow/experiments/search", "POST", "/api/2.0/mlflow/experiments/search", False),
        (
            "/api/2.0/mlflow/logged-models/m-1",
            "PATCH",
            "/api/2.0/mlflow/logged-models/<model_id>",
            True,
        ),
        (
            "/api/2.0/mlflow/logged-models/search",
            "POST",
            "/api/2.0/mlflow/logged-models/search",
            False,
        ),
        (
            "/api/2.0/mlflow-artifacts/artifacts/1/models/m/artifacts/MLmodel",
            "PUT",
            "/api/2.0/mlflow-artifacts/artifacts/<path:artifact_path>",
            True,
        ),
        (
            "/api/2.0/mlflow-artifacts/artifacts/1/x.txt",
            "GET",
            "/api/2.0/mlflow-artifacts/artifacts/<path:artifact_path>",
            False,
        ),
        (
            "/api/2.0/mlflow-artifacts/mpu/create/1/big.bin",
            "POST",
            "/api/2.0/mlflow-artifacts/mpu/create/<path:artifact_path>",
            True,
        ),
        ("/api/3.0/mlflow/server-info", "GET", "/api/3.0/mlflow/server-info", False),
    ],
)
def test_match_and_write_split(path, method, template, writes):
    match = TABLE.match(path, method)
    assert match.route is not None and match.route.template == template
    assert match.route.is_write(method) is writes


def test_wrong_method_reports_the_allowed_ones():
    match = TABLE.match("/api/2.0/mlflow/runs/create", "GET")
    assert match.route is None and match.allowed == {"POST"}
    assert TABLE.match("/api/2.0/mlflow/no-such-route", "GET").allowed == frozenset()


def test_every_get_reads_and_every_patch_put_delete_writes():
    for route in TABLE.routes:
        for method in route.methods:
            if method == "GET":
                assert not route.is_write(method), route.template
            elif method in ("PATCH", "PUT", "DELETE"):
                assert route.is_write(method), route.template
