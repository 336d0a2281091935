"""The MLflow UI through the gateway, signed in with an API key, against a real MLflow.

Both modes: the session's ``hokusai local up`` (the proxy in front of ``mlflow
server``) and ``mlflow server --app-name hokusai`` (the rules inside MLflow). A
"browser" here is plain HTTP keeping cookies (tests/support/signin.py); the same flow
in Chromium: test_ui_browser.py.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass

import pytest

from hokusai.gateway.keys import KeyStore
from hokusai.gateway.ui import AJAX_PREFIX, UI_ROUTES
from tests.support.client import request as send
from tests.support.mlflow_routes import served_routes
from tests.support.signin import Browser, browser

JSON = {"Content-Type": "application/json"}
# Named here so the session's registry starts in the background at collection.
pytestmark = pytest.mark.usefixtures("local_registry")


@dataclass
class Registry:
    """One way of running the gateway: its address and its key store."""

    url: str
    store: KeyStore

    def key(self, *scopes: str) -> tuple[str, str]:
        key, secret = self.store.create("ui-test", scopes)
        return key.id, secret


@pytest.fixture(scope="module", params=["proxy", "inprocess"])
def registry(request: pytest.FixtureRequest):
    if request.param == "proxy":
        local = request.getfixturevalue("local_registry")
        store = KeyStore(f"sqlite:///{local.data_dir / 'keys.db'}")
        url = local.url
    else:
        plugin = request.getfixturevalue("plugin")
        store = KeyStore(request.getfixturevalue("keys_url"))
        url = plugin.url
    yield Registry(url, store)
    store.close()


def signed_in(registry: Registry, *scopes: str) -> tuple[Browser, str]:
    key_id, secret = registry.key(*scopes)
    client = browser(registry.url)
    assert client.sign_in(secret).status == 303
    return client, key_id


def test_signed_in_the_ui_page_its_scripts_and_its_calls_reach_mlflow(registry):
    client, _key_id = signed_in(registry, "read")
    page = client.get("/api/mlflow/")
    assert page.status == 200 and page.header("content-type")[0].startswith("text/html")
    script = re.search(r'src="(static-files/static/js/main\.[0-9a-f]+\.js)"', page.body.decode())
    assert script, page.body[:400]
    js = client.get("/api/mlflow/" + script.group(1))
    assert js.status == 200 and len(js.body) > 100_000
    search = client.post(
        "/api/mlflow/ajax-api/2.0/mlflow/experiments/search", b'{"max_results": 5}', JSON
    )
    assert search.status == 200 and "experiments" in search.json()
    query = {
        "query": 'query { mlflowGetExperiment(input: {experimentId: "0"}) { experiment { name } } }'
    }
    graphql = client.post("/api/mlflow/graphql", json.dumps(query).encode(), JSON)
    assert graphql.status == 200
    assert graphql.json()["data"]["mlflowGetExperiment"]["experiment"]["name"] == "Default"
    info = client.get("/api/mlflow/ajax-api/3.0/mlflow/server-info")
    assert info.status == 200


def test_a_read_session_cannot_write_a_write_session_can_same_origin_only(registry):
    name = f"ui-{uuid.uuid4().hex[:8]}"
    body = json.dumps({"name": name}).encode()
    create = "/api/mlflow/ajax-api/2.0/mlflow/experiments/create"
    reader, _ = signed_in(registry, "read")
    refused = reader.post(create, body, JSON)
    assert refused.status == 403 and "lacks the 'write' scope" in refused.json()["message"]
    writer, _ = signed_in(registry, "read", "write")
    cross = writer.post(create, body, {**JSON, "Origin": "https://evil.example"}, same_origin=False)
    assert cross.status == 403 and cross.json()["error_code"] == "PERMISSION_DENIED"
    _id, secret = registry.key("read")
    lookup = f"/api/mlflow/api/2.0/mlflow/experiments/get-by-name?experiment_name={name}"
    assert send(registry.url, "GET", lookup, {"X-API-Key": secret}).status == 404
    created = writer.post(create, body, JSON)  # MLflow's own cross-origin check passes too
    assert created.status == 200, created.body
    found = send(registry.url, "GET", lookup, {"X-API-Key": secret})
    assert found.status == 200 and found.json()["experiment"]["name"] == name


def test_revoking_the_key_or_signing_out_asks_for_sign_in_again(registry):
    client, key_id = signed_in(registry, "read")
    assert client.get("/api/mlflow/").status == 200
    registry.store.revoke(key_id)
    page = client.get("/api/mlflow/")
    assert page.status == 401 and f"API key {key_id} has been revoked" in page.body.decode()
    other, _ = signed_in(registry, "read")
    assert other.sign_out().status == 303
    assert other.get("/api/mlflow/").status == 401


def test_api_clients_with_keys_are_unaffected_by_the_ui(registry):
    _id, secret = registry.key("read")
    get = "/api/mlflow/api/2.0/mlflow/experiments/get?experiment_id=0"
    assert send(registry.url, "GET", get, {"X-API-Key": secret}).status == 200
    assert send(registry.url, "GET", get).json()["error_code"] == "UNAUTHENTICATED"


# The UI's paths MLflow serves that the gateway deliberately refuses (see gateway/ui.py).
NOT_SERVED = ("/ajax-api/3.0/mlflow/assistant/",)
# MLflow's own answers at its root, not part of the UI: /health (the gateway answers its
# own), FastAPI's schema pages, the AI gateway's and OpenTelemetry's API, and /build/…
# (Flask's default static route: the same files the UI loads from static-files/).
NOT_UI = ("/health", "/metrics", "/openapi.json", "/docs", "/redoc", "/gateway/", "/v1/", "/build/")


@pytest.fixture(scope="module")
def mlflow_routes() -> dict[str, frozenset[str]]:
    """Every route of the installed MLflow's app (Flask and FastAPI), in Flask's spelling."""
    return served_routes()


def _plain(template: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", "<>", template)


def test_every_ui_route_of_the_table_is_one_mlflow_serves(mlflow_routes):
    served = {_plain(path): set(methods) for path, methods in mlflow_routes.items()}
    for template, methods in UI_ROUTES.items():
        assert _plain(template) in served, f"{template} is not served by the installed MLflow"
        assert set(methods) <= served[_plain(template)], (template, served[_plain(template)])


def test_every_path_mlflow_serves_is_an_api_route_a_ui_route_or_deliberately_left_out(
    mlflow_routes,
):
    ui = {_plain(path) for path in UI_ROUTES}
    missing = []
    for path in mlflow_routes:
        if path.startswith("/api/"):
            continue  # the API route table's own test
        twin = "/api/" + path[len(AJAX_PREFIX) :] if path.startswith(AJAX_PREFIX) else None
        if twin in mlflow_routes:
            continue  # an API route under /ajax-api/: the gateway maps it onto the table's
        if _plain(path) in ui or path.startswith(NOT_SERVED + NOT_UI):
            continue
        missing.append(path)
    assert not missing, f"MLflow serves UI paths the gateway does not know: {sorted(missing)}"
