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
    assert all(r.template.startswith(routes.API_ROOTS) for r in TABLE.routes)
    assert TABLE.match("/ajax-api/2.0/mlflow/runs/get").route is None
    assert TABLE.match("/graphql", "POST").route is None
    # The UI's routes of MLflow's FastAPI app stay out too.
    assert TABLE.match("/ajax-api/3.0/mlflow/mcp-servers", "GET").route is None
    assert TABLE.match("/ajax-api/3.0/jobs/search", "POST").route is None
    assert TABLE.match("/ajax-api/3.0/mlflow/assistant/config", "GET").route is None
    assert TABLE.match("/health").route is None  # the gateway answers it itself


MCP = "/api/3.0/mlflow/mcp-servers"
GEMINI = "/gateway/gemini/v1beta/models/"
INVOKE, TAGS = "/mlflow/invocations", "/tags"
MCP_VERSION = MCP + "/<path:name>/versions/<path:version>"
# Served by MLflow's FastAPI routers, not its Flask app: (path, method, template, writes).
FASTAPI_CASES = [
    ("/v1/traces", "POST", "/v1/traces", True),
    ("/gateway/chat" + INVOKE, "POST", "/gateway/<endpoint_name>" + INVOKE, True),
    ("/gateway/mlflow/v1/models", "GET", "/gateway/mlflow/v1/models", False),
    (GEMINI + "chat:generateContent", "POST", GEMINI + "<endpoint_name>:generateContent", True),
    ("/gateway/proxy/chat/v1/deep", "POST", "/gateway/proxy/<endpoint_name>/<path:path>", True),
    (MCP, "GET", MCP, False),
    (MCP, "POST", MCP, True),
    (MCP + "/org/tool/versions/2" + TAGS, "POST", MCP_VERSION + TAGS, True),
    (MCP + "/org/tool", "DELETE", MCP + "/<path:name>", True),
]


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
        *FASTAPI_CASES,
    ],
)
def test_match_and_write_split(path, method, template, writes):
    match = TABLE.match(path, method)
    assert match.route is not None and match.route.template == template
    assert match.route.is_write(method) is writes


def test_every_read_only_post_is_a_post_route_of_the_table():
    posts = {r.template for r in TABLE.routes if "POST" in r.methods}
    assert posts >= routes.READ_ONLY_POSTS


def test_routes_of_the_fastapi_app_are_in_flask_syntax():
    assert routes._flask_syntax("/a/{name:path}/x/{id}") == "/a/<path:name>/x/<id>"
    assert not [r.template for r in TABLE.routes if "{" in r.template]


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
