"""Every API route the installed MLflow serves is served through the gateway.

What MLflow serves is read from MLflow's own apps, not from the gateway's table: the
Flask app's ``url_map`` (werkzeug's rules) and the FastAPI app's OpenAPI document
(``mlflow server`` runs the FastAPI app, with the Flask app mounted under it). Each
API route-method pair is sent once straight to the session's MLflow and once through
its gateway with an admin key, path parameters filled with a dummy value and, for a
body, ``{}``. A pair fails when MLflow answers it (anything but its own "no such
route" 404 or 405) while the gateway refuses it as an unknown route or method.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests

from hokusai.gateway.hints import NOT_FOUND, UNKNOWN_ROUTE
from hokusai.gateway.rules import WRONG_METHOD
from tests.support.mlflow_routes import served_routes
from tests.support.processes import mlflow_url_of

# The web UI and MLflow's own operations, which are not API routes: the UI's pages,
# files and queries (served behind a sign-in, not by the API table), and /health,
# which the gateway answers itself.
UI_AND_OPERATIONS = (
    "/ajax-api/",
    "/graphql",
    "/static-files/",
    "/build/",
    "/get-artifact",
    "/model-versions/get-artifact",
    "/version",
    "/health",
)
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# A dummy value for every path parameter, in either syntax: <conv:name>, {name:conv}.
_PARAMETER = re.compile(r"<[^>]+>|\{[^}]+\}")
PROBE = "route-probe"
# The gateway's own refusals for a path or method it has no route for.
_GATEWAY_NO_ROUTE = tuple(t.split("{", 1)[0] for t in (NOT_FOUND, UNKNOWN_ROUTE, WRONG_METHOD))


def _served() -> Iterator[tuple[str, str]]:
    """(path template, method) for every route of the installed ``mlflow server``."""
    for path, methods in served_routes().items():
        for method in methods:
            yield path, method


def api_pairs() -> list[tuple[str, str]]:
    """The API route-method pairs, DELETE last (so a probe PUT is cleaned up)."""
    pairs = {
        (path, method)
        for path, method in _served()
        if method in METHODS and path != "/" and not path.startswith(UI_AND_OPERATIONS)
    }
    return sorted(pairs, key=lambda pair: (pair[1] == "DELETE", pair))


def _mlflow_knows_no_such_route(answer: requests.Response) -> bool:
    """MLflow's own 404/405 for a path or method it has no route for (Flask's HTML
    page or Starlette's ``{"detail": "Not Found"}``), not a handler's 404."""
    if answer.status_code == 405:
        return True
    return answer.status_code == 404 and (
        answer.text.startswith("<!doctype html>") or answer.text == '{"detail":"Not Found"}'
    )


def _gateway_has_no_route(answer: requests.Response) -> bool:
    if answer.status_code not in (404, 405):
        return False
    try:
        body = answer.json()
    except ValueError:
        return False
    return body.get("error_code") == "ENDPOINT_NOT_FOUND" and str(
        body.get("message", "")
    ).startswith(_GATEWAY_NO_ROUTE)


@pytest.fixture(scope="module")
def session() -> Iterator[requests.Session]:
    with requests.Session() as http:
        http.trust_env = False  # never an HTTP(S)_PROXY from the environment
        yield http


def test_every_api_route_mlflow_answers_is_answered_through_the_gateway(local_registry, session):
    mlflow = mlflow_url_of(local_registry.process.pid)
    _key_id, admin = local_registry.create_key("admin", prefix="routes")
    pairs = api_pairs()
    answered, refused = [], []
    for template, method in pairs:
        path = _PARAMETER.sub(PROBE, template)
        body = None if method == "GET" else {}
        direct = session.request(method, mlflow + path, json=body, timeout=60)
        if _mlflow_knows_no_such_route(direct):
            continue
        answered.append((method, template))
        through = session.request(
            method,
            local_registry.tracking_uri + path,
            json=body,
            headers={"X-API-Key": admin},
            timeout=60,
        )
        if _gateway_has_no_route(through):
            refused.append(f"{method} {template}: MLflow {direct.status_code}, gateway refuses")
    print(
        f"\n{len(answered) - len(refused)} of {len(answered)} API route-method pairs MLflow "
        f"answers are answered through the gateway ({len(pairs)} pairs enumerated)"
    )
    assert len(answered) > 200, "MLflow answered too few routes: is the probe broken?"
    assert not refused, "\n".join(refused)
