"""The MLflow web UI's paths under each mount, and whether each call reads or writes.

MLflow's UI is a single page (``<mount>/``, the run links MLflow prints are
``<tracking URI>/#/experiments/<id>/runs/<id>``: a GET of ``<mount>/``) that loads
``static-files/…`` and calls MLflow with paths relative to itself:

- ``ajax-api/2.0/mlflow/…``, ``ajax-api/3.0/mlflow/…`` and ``ajax-api/2.0/mlflow-artifacts/…``:
  MLflow registers every API route under ``/ajax-api/`` as well as under ``/api/``
  (``mlflow.server.handlers._get_paths``), so these map onto the API route table
  (`routes`): same templates, same read/write split;
- a few routes only the UI uses (`UI_ROUTES`, from ``mlflow/server/__init__.py`` and
  the FastAPI job router of the MLflow the table was written for;
  ``tests/integration/test_ui_routes.py`` holds it to the installed MLflow's routes).

Every mount prefix of `paths.MOUNT_PREFIXES` serves the UI (``/api/mlflow/``,
``/mlflow/`` and ``/``), as it serves the API.
"""

from __future__ import annotations

from dataclasses import dataclass

from hokusai.gateway.paths import MOUNT_PREFIXES
from hokusai.gateway.routes import NO_ROUTE, Match, RouteTable

AJAX_PREFIX = "/ajax-api/"
# The page itself: what a browser navigates to (every other UI path is loaded by it).
PAGE = "/"

# template -> {method: writes?}. GET never writes; the POSTs that only read are marked.
UI_ROUTES: dict[str, dict[str, bool]] = {
    PAGE: {"GET": False},
    "/static-files/<path:path>": {"GET": False},
    # MLflow's GraphQL schema has only search queries and search "mutations".
    "/graphql": {"GET": False, "POST": False},
    "/get-artifact": {"GET": False},
    "/model-versions/get-artifact": {"GET": False},
    "/version": {"GET": False},
    "/ajax-api/2.0/mlflow/metrics/get-history-bulk": {"GET": False},
    "/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval": {"GET": False},
    "/ajax-api/2.0/mlflow/experiments/search-datasets": {"POST": False},
    "/ajax-api/2.0/mlflow/runs/create-promptlab-run": {"POST": True},
    "/ajax-api/2.0/mlflow/gateway-proxy": {"GET": False, "POST": True},
    "/ajax-api/2.0/mlflow/upload-artifact": {"POST": True},
    "/ajax-api/2.0/mlflow/get-trace-artifact": {"GET": False},
    "/ajax-api/3.0/mlflow/get-trace-artifact": {"GET": False},
    "/ajax-api/2.0/mlflow/logged-models/<model_id>/artifacts/files": {"GET": False},
    # The UI's own usage telemetry: it changes nothing in the registry.
    "/ajax-api/3.0/mlflow/ui-telemetry": {"GET": False, "POST": False},
    # Only under /ajax-api/ in mlflow.server.handlers.get_endpoints(): the AI gateway's
    # provider discovery, judges, issue detection and evaluation runs, jobs, demo data.
    "/ajax-api/3.0/mlflow/gateway/supported-providers": {"GET": False},
    "/ajax-api/3.0/mlflow/gateway/supported-models": {"GET": False},
    "/ajax-api/3.0/mlflow/gateway/provider-config": {"GET": False},
    "/ajax-api/3.0/mlflow/gateway/secrets/config": {"GET": False},
    "/ajax-api/3.0/mlflow/scorer/invoke": {"POST": True},
    "/ajax-api/3.0/mlflow/issues/invoke": {"POST": True},
    "/ajax-api/3.0/mlflow/genai/evaluate/invoke": {"POST": True},
    "/ajax-api/3.0/mlflow/jobs/<job_id>": {"GET": False},
    "/ajax-api/3.0/mlflow/jobs/cancel/<job_id>": {"PATCH": True},
    "/ajax-api/3.0/mlflow/demo/generate": {"POST": True},
    "/ajax-api/3.0/mlflow/demo/delete": {"POST": True},
    # Background jobs (FastAPI, mlflow/server/job_api.py): only registered job names run.
    "/ajax-api/3.0/jobs/": {"POST": True},
    "/ajax-api/3.0/jobs/search": {"POST": False},
    "/ajax-api/3.0/jobs/<job_id>": {"GET": False},
    "/ajax-api/3.0/jobs/cancel/<job_id>": {"PATCH": True},
}
# Deliberately not served: MLflow's assistant (``/ajax-api/3.0/mlflow/assistant/…``)
# runs a coding agent on the server's host and lets only clients on the host's
# loopback use it; behind the proxy every client would look local. The UI answers its
# 404 by offering no assistant.


@dataclass(frozen=True, slots=True)
class UiPath:
    """A request path split into its mount prefix and the UI path below it."""

    mount: str
    path: str

    @property
    def is_page(self) -> bool:
        """True for the page a browser navigates to (``<mount>/``)."""
        return self.path == PAGE


def split_ui(path: str) -> UiPath | None:
    """``/api/mlflow/static-files/x.js`` → (``/api/mlflow``, ``/static-files/x.js``);
    ``None`` when ``path`` is under no mount prefix. A mount without its slash
    (``/api/mlflow``) gives the path ``""``.

    Examples:
        >>> split_ui("/api/mlflow/")
        UiPath(mount='/api/mlflow', path='/')
        >>> split_ui("/mlflow")
        UiPath(mount='/mlflow', path='')
        >>> split_ui("/ajax-api/2.0/mlflow/runs/get")
        UiPath(mount='', path='/ajax-api/2.0/mlflow/runs/get')
    """
    for prefix in MOUNT_PREFIXES:
        if path.startswith(prefix + "/"):
            return UiPath(prefix, path[len(prefix) :])
        if prefix and path == prefix:
            return UiPath(prefix, "")
    return None


@dataclass(frozen=True, slots=True)
class UiRoute:
    """The UI route a request matched: its template (for metrics) and whether it writes."""

    template: str
    writes: bool


class UiRoutes:
    """Matches a UI path (mount already off) and method to a `UiRoute`."""

    def __init__(self, api: RouteTable) -> None:
        self.api = api
        self._exact = {t: m for t, m in UI_ROUTES.items() if "<" not in t}
        # The route table's own patterns ("<x>": one segment, "<path:x>": the rest).
        compiled = RouteTable({t: sorted(m) for t, m in UI_ROUTES.items() if "<" in t}).routes
        self._templated = [(route.pattern, route.template) for route in compiled]

    def match(self, path: str, method: str) -> UiRoute | Match:
        """The `UiRoute`, or the `routes.Match` saying which methods the path allows
        (none: not a UI path)."""
        if path.startswith(AJAX_PREFIX):
            match = self.api.match("/api/" + path[len(AJAX_PREFIX) :], method)
            if match.route is not None:
                ajax = AJAX_PREFIX + match.route.template[len("/api/") :]
                return UiRoute(ajax, match.route.is_write(method))
            if match.allowed:
                return match
        found = path if path in self._exact else None
        if found is None:
            found = next((t for pattern, t in self._templated if pattern.match(path)), None)
            if found is None:
                return NO_ROUTE
        methods = UI_ROUTES[found]
        wanted = "GET" if method == "HEAD" else method
        if wanted not in methods:
            return Match(None, frozenset(methods))
        return UiRoute(found, methods[wanted])
