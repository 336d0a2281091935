"""The refusals' hints fit the client: the variable it set, the address it used."""

from __future__ import annotations

import asyncio

import pytest
from mlflow.exceptions import RestException

from hokusai._translate import translate
from hokusai.auth.header_provider import USER_AGENT
from hokusai.errors import RegistryNotFoundError
from hokusai.gateway.credentials import ApiKeyCredentials
from hokusai.gateway.keys import KeyStore
from hokusai.gateway.responses import Refusal
from hokusai.gateway.routes import RouteTable, installed_version, load_table
from hokusai.gateway.rules import Rules

PLAIN_MLFLOW = (b"user-agent", b"mlflow-python-client/3.17.2")
WITH_PLUGIN = (b"user-agent", f"mlflow-python-client/3.17.2 {USER_AGENT}".encode())
CURL = (b"user-agent", b"curl/8.5.0")
LOCAL = (b"host", b"127.0.0.1:5000")
UNKNOWN_KEY = b"hk_test_" + b"x" * 32
SEARCH = "/api/mlflow/api/2.0/mlflow/experiments/search"


@pytest.fixture
def rules(tmp_path):
    store = KeyStore(f"sqlite:///{tmp_path / 'keys.db'}")
    yield Rules(RouteTable(load_table()), [ApiKeyCredentials(store, allow_query=True)])
    store.close()


def refused(rules, path, headers, method="POST", scheme="http", query="") -> Refusal:
    scope = {
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "headers": headers if any(n == b"host" for n, _ in headers) else [LOCAL, *headers],
        "scheme": scheme,
        "server": ("127.0.0.1", 5000),
    }
    answer = asyncio.run(rules.decide(scope, query))
    assert isinstance(answer, Refusal)
    return answer


def test_an_unknown_token_from_plain_mlflow_names_mlflow_tracking_token(rules):
    answer = refused(rules, SEARCH, [PLAIN_MLFLOW, (b"authorization", b"Bearer " + UNKNOWN_KEY)])
    assert (answer.status, answer.reason) == (401, "unknown")
    assert "check MLFLOW_TRACKING_TOKEN" in answer.message
    assert "HOKUSAI_API_KEY" not in answer.message


def test_an_unknown_key_from_the_sdk_names_hokusai_api_key(rules):
    answer = refused(rules, SEARCH, [WITH_PLUGIN, (b"x-api-key", UNKNOWN_KEY)])
    assert answer.message.startswith("API key not recognised: check HOKUSAI_API_KEY,")
    assert "MLFLOW_TRACKING_TOKEN" not in answer.message


def test_the_same_unknown_key_in_both_names_both(rules):
    headers = [
        WITH_PLUGIN,
        (b"x-api-key", UNKNOWN_KEY),
        (b"authorization", b"Bearer " + UNKNOWN_KEY),
    ]
    answer = refused(rules, SEARCH, headers)
    assert "check HOKUSAI_API_KEY and MLFLOW_TRACKING_TOKEN," in answer.message


@pytest.mark.parametrize(
    ("headers", "query", "named"),
    [
        (
            [CURL, (b"authorization", b"Bearer " + UNKNOWN_KEY)],
            "",
            "the key sent as 'Authorization: Bearer'",
        ),
        (
            [CURL, (b"authorization", b"ApiKey " + UNKNOWN_KEY)],
            "",
            "the key sent as 'Authorization: ApiKey'",
        ),
        ([CURL], "api_key=" + UNKNOWN_KEY.decode(), "the api_key query parameter"),
    ],
)
def test_other_clients_are_told_which_header_carried_the_key(rules, headers, query, named):
    answer = refused(rules, SEARCH, headers, query=query)
    assert answer.message.startswith(f"API key not recognised: check {named}, or create")


@pytest.mark.parametrize(
    ("user_agent", "says", "never"),
    [
        (PLAIN_MLFLOW, "Set MLFLOW_TRACKING_TOKEN=<key>", None),
        (WITH_PLUGIN, "set HOKUSAI_API_KEY", "MLFLOW_TRACKING_TOKEN"),
        (CURL, "send it as 'X-API-Key: <key>'", None),
    ],
)
def test_a_missing_key_is_explained_for_the_client_that_sent_none(rules, user_agent, says, never):
    answer = refused(rules, SEARCH, [user_agent])
    assert (answer.status, answer.reason) == (401, "missing")
    assert answer.message.startswith("API key required") and says in answer.message
    assert never is None or never not in answer.message


def test_the_404_hint_uses_the_requests_own_scheme_host_and_port(rules):
    path = "/api/api/2.0/mlflow/experiments/search"  # tracking URI http://host/api: wrong
    headers = [(b"host", b"registry.example.com:8443")]
    answer = refused(rules, path, headers, scheme="https")
    assert answer.status == 404
    assert "https://registry.example.com:8443/api/mlflow" in answer.message
    assert "127.0.0.1" not in answer.message


def test_a_host_header_that_is_not_a_host_is_not_echoed(rules):
    answer = refused(rules, "/nowhere", [(b"host", b"<script>")], method="GET")
    assert "<script>" not in answer.message
    assert "http://127.0.0.1:5000/api/mlflow" in answer.message


def test_a_right_uri_with_a_route_this_mlflow_lacks_is_not_blamed(rules):
    answer = refused(rules, "/mlflow/api/2.0/mlflow/experiments/getall", [], method="GET")
    assert answer.status == 404 and answer.error_code == "ENDPOINT_NOT_FOUND"
    assert answer.message.startswith(
        f"No route GET /api/2.0/mlflow/experiments/getall in MLflow {installed_version()}"
    )
    assert "the tracking URI http://127.0.0.1:5000/mlflow is right" in answer.message


def test_the_sdk_passes_on_an_unknown_route_without_blaming_the_uri(rules):
    answer = refused(rules, "/api/mlflow/api/2.0/mlflow/experiments/getall", [], method="GET")
    exc = RestException({"error_code": answer.error_code, "message": answer.message})
    error = translate(exc, "http://127.0.0.1:5000/api/mlflow")
    assert not isinstance(error, RegistryNotFoundError)
    assert "is not the MLflow API" not in str(error)
    assert "the tracking URI http://127.0.0.1:5000/api/mlflow is right" in str(error)
