"""The MLflow web UI's paths under each mount, and whether each call reads or writes.

MLflow's UI is a single page (``<mount>/``, the run links MLflow prints are
``<tracking URI>/#/experiments/<id>/runs/<id>``: a GET of ``<mount>/``) that loads
``static-files/…`` and calls MLflow with paths relative to itself:

- ``ajax-api/2.0/mlflow/…``, ``ajax-api/3.0/mlflow/…`` and ``ajax-api/2.0/mlflow-artifacts/…``:
  MLflow registers every API route under ``/ajax-api/`` as well as under ``/api/``
  (``mlflow.server.handlers._get_paths``), so these map onto the API route table
  (`routes`): same templates, same read/write split;
- a few routes only the UI uses (`UI_ROUTES`, read from ``ui_routes.toml``; they come
  from ``mlflow/server/__init__.py`` and the FastAPI job router of the MLflow the table
  was written for; ``tests/integration/test_ui_signin.py`` holds them to the installed
  MLflow's routes).

Every mount prefix of `paths.MOUNT_PREFIXES` serves the UI (``/api/mlflow/``,
``/mlflow/`` and ``/``), as it serves the API.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from hokusai.gateway.paths import MOUNT_PREFIXES
from hokusai.gateway.routes import NO_ROUTE, Match, RouteTable

AJAX_PREFIX = "/ajax-api/"
# The page itself: what a browser navigates to (every other UI path is loaded by it).
PAGE = "/"


def parse_ui_routes(text: str) -> dict[str, dict[str, bool]]:
    """``template -> {method: writes?}`` from the TOML of ``ui_routes.toml``, where each
    method is ``"read"`` or ``"write"``.

    Examples:
        >>> parse_ui_routes('"/graphql" = { GET = "read", POST = "read" }')
        {'/graphql': {'GET': False, 'POST': False}}
        >>> parse_ui_routes('"/x" = { POST = "writes" }')
        Traceback (most recent call last):
        ...
        ValueError: UI route /x: POST is "writes"; each method is "read" or "write"
        >>> parse_ui_routes('"/x" = "read"')
        Traceback (most recent call last):
        ...
        ValueError: UI route /x: expected { METHOD = "read" | "write" }
    """
    routes: dict[str, dict[str, bool]] = {}
    for template, methods in tomllib.loads(text).items():
        if not isinstance(methods, dict):
            raise ValueError(f'UI route {template}: expected {{ METHOD = "read" | "write" }}')
        for method, kind in methods.items():
            if kind not in ("read", "write"):
                raise ValueError(
                    f'UI route {template}: {method} is "{kind}"; each method is "read" or "write"'
                )
        routes[template] = {method: kind == "write" for method, kind in methods.items()}
    return routes


# template -> {method: writes?}, from ui_routes.toml (which says why each route is there,
# and which MLflow UI routes are deliberately not served).
UI_ROUTES: dict[str, dict[str, bool]] = parse_ui_routes(
    Path(__file__).with_name("ui_routes.toml").read_text(encoding="utf-8")
)


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
