"""Which paths the gateway forwards, derived from MLflow's own route table.

MLflow lists every REST route with its methods in
``mlflow.server.handlers.get_endpoints()``. Importing that takes ~13 s, so the table
for the MLflow version we test against ships as ``mlflow_routes.json`` (regenerate it
with ``python -m hokusai.gateway.routes``); a test checks it against the installed
MLflow, and a gateway running a different MLflow version derives the table live.

Only the client-facing API is allowed: ``/api/2.0/mlflow/``, ``/api/3.0/mlflow/`` and
``/api/2.0/mlflow-artifacts/`` (the UI's ``/ajax-api`` routes and ``/graphql`` are not).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

logger = logging.getLogger(__name__)

API_PREFIXES = ("/api/2.0/mlflow/", "/api/3.0/mlflow/", "/api/2.0/mlflow-artifacts/")
_TABLE_FILE = Path(__file__).with_name("mlflow_routes.json")

# Served by MLflow's FastAPI layer, so absent from the Flask table.
_FASTAPI_ROUTES = {"/api/3.0/mlflow/server-info": ["GET"]}

# POST routes that only read (MLflow's search/query endpoints); every other POST writes.
READ_ONLY_POSTS = frozenset(
    {
        "/api/2.0/mlflow/experiments/search",
        "/api/2.0/mlflow/runs/search",
        "/api/2.0/mlflow/logged-models/search",
        "/api/2.0/mlflow/registered-models/get-latest-versions",
        "/api/3.0/mlflow/traces/search",
        "/api/3.0/mlflow/traces/batchGetInfos",
        "/api/3.0/mlflow/traces/metrics",
        "/api/3.0/mlflow/traces/calculate-filter-correlation",
        "/api/3.0/mlflow/datasets/search",
        "/api/3.0/mlflow/issues/search",
        "/api/3.0/mlflow/prompt-optimization/jobs/search",
    }
)
_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")


@dataclass(frozen=True)
class Route:
    """One MLflow route template (e.g. ``/api/2.0/mlflow/logged-models/<model_id>``)."""

    template: str
    methods: frozenset[str]
    pattern: re.Pattern[str]

    def is_write(self, method: str) -> bool:
        """True when ``method`` on this route changes MLflow's state (needs ``write``)."""
        if method in ("GET", "HEAD", "OPTIONS"):
            return False
        return not (method == "POST" and self.template in READ_ONLY_POSTS)


def _compile(template: str) -> re.Pattern[str]:
    parts, last = [], 0
    for match in _CONVERTER.finditer(template):
        parts.append(re.escape(template[last : match.start()]))
        parts.append(".+" if match.group(1) == "path" else "[^/]+")
        last = match.end()
    parts.append(re.escape(template[last:]))
    return re.compile("".join(parts) + r"\Z")


def live_table() -> dict[str, list[str]]:
    """The API routes of the installed MLflow: ``{template: sorted methods}``."""
    from mlflow.server.handlers import get_endpoints

    table: dict[str, set[str]] = {}
    for path, _handler, methods in get_endpoints():
        if path.startswith(API_PREFIXES):
            table.setdefault(path, set()).update(methods)
    for path, methods in _FASTAPI_ROUTES.items():
        table.setdefault(path, set()).update(methods)
    return {path: sorted(methods) for path, methods in sorted(table.items())}


def load_table() -> dict[str, list[str]]:
    """The shipped table when it matches the installed MLflow, else the live one."""
    shipped = json.loads(_TABLE_FILE.read_text())
    installed = version("mlflow-skinny")
    if shipped["mlflow_version"] == installed:
        return shipped["routes"]
    logger.warning(
        "route table was generated for MLflow %s but %s is installed; deriving it live",
        shipped["mlflow_version"],
        installed,
    )
    return live_table()


@dataclass(frozen=True)
class Match:
    """What the table says about a path: the route for the method, or the methods allowed."""

    route: Route | None
    allowed: frozenset[str] = frozenset()


NO_ROUTE = Match(None)


def _bucket(path: str) -> str:
    # "/api/2.0/mlflow/runs/<run_id>/x" -> "/api/2.0/mlflow/runs": templates are looked
    # up among the few sharing their first four segments, not across the whole table.
    return "/".join(path.split("/", 5)[:5])


class RouteTable:
    """Matches a forwarded path (prefix already stripped) and method to an MLflow route."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.routes = [Route(t, frozenset(m), _compile(t)) for t, m in table.items()]
        self._exact = {r.template: r for r in self.routes if "<" not in r.template}
        # (path, method) -> Match for the exact routes: most calls (runs/log-metric,
        # experiments/get…) end here, without building candidates or a Match.
        self._exact_matches = {
            (r.template, method): Match(r)
            for r in self._exact.values()
            for method in (r.methods - {"HEAD"}) | ({"HEAD"} if "GET" in r.methods else set())
        }
        self._templated: dict[str, list[Route]] = {}
        for route in self.routes:
            if "<" in route.template:
                self._templated.setdefault(_bucket(route.template), []).append(route)

    def _candidates(self, path: str) -> list[Route]:
        exact = self._exact.get(path)
        found = [exact] if exact is not None else []
        found.extend(r for r in self._templated.get(_bucket(path), ()) if r.pattern.match(path))
        return found

    def match(self, path: str, method: str = "GET") -> Match:
        """The route serving ``method`` at ``path``; HEAD is served where GET is."""
        exact = self._exact_matches.get((path, method))
        if exact is not None:
            return exact
        candidates = self._candidates(path)
        if not candidates:
            return NO_ROUTE
        wanted = "GET" if method == "HEAD" else method
        for route in candidates:
            if wanted in route.methods:
                return Match(route)
        return Match(None, frozenset().union(*(r.methods for r in candidates)))


def main() -> None:  # pragma: no cover - maintenance command
    table = {"mlflow_version": version("mlflow-skinny"), "routes": live_table()}
    _TABLE_FILE.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(table['routes'])} routes for MLflow {table['mlflow_version']}")


if __name__ == "__main__":  # pragma: no cover
    main()
