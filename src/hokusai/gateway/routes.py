"""Which paths the gateway forwards, derived from MLflow's own route tables.

``mlflow server`` is a FastAPI app: its own routers first (OpenTelemetry's
``/v1/traces``, the AI gateway's ``/gateway/…``, ``/api/3.0/mlflow/mcp-servers/…``,
server-info, artifact streaming), then MLflow's Flask app mounted at ``/``, whose REST
routes ``mlflow.server.handlers.get_endpoints()`` lists. The table is both. Importing
them takes ~13 s, so the table for the MLflow version we test against ships as
``mlflow_routes.json`` (regenerate it with ``python -m hokusai.gateway.routes``); a test
checks it against the installed MLflow, and a gateway running a different MLflow
version derives the table live.

This table is the API: paths under `API_ROOTS` (``/api/…``, ``/v1/…``,
``/gateway/…``). The web UI's paths (``/``, ``/static-files``, ``/ajax-api``,
``/graphql``…) have their own table (`ui`), served to a signed-in browser.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

# Where MLflow's API routes start: REST 2.0/3.0 and mlflow-artifacts under /api/,
# OpenTelemetry ingestion (/v1/traces), AI-gateway invocations (/gateway/…).
API_ROOTS = ("/api/", "/v1/", "/gateway/")
_TABLE_FILE = Path(__file__).with_name("mlflow_routes.json")
# HEAD is served wherever GET is (`RouteTable.match`), OPTIONS is CORS: neither is listed.
_LISTED_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})

# POST routes that only read (MLflow's search/query endpoints), reviewed one by one;
# every other POST writes, so a POST route new in MLflow needs the write scope until
# it is added here. (Invoking an AI-gateway endpoint is a POST that writes: it spends.)
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
_STARLETTE_PARAM = re.compile(r"\{(\w+)(?::(\w+))?\}")


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


def _flask_syntax(path: str) -> str:
    """A Starlette path in Flask's syntax: ``/a/{name:path}/{id}`` → ``/a/<path:name>/<id>``."""
    return _STARLETTE_PARAM.sub(lambda m: f"<{m[2]}:{m[1]}>" if m[2] else f"<{m[1]}>", path)


def _starlette_routes(routes: Iterable[Any]) -> Iterator[tuple[str, Iterable[str]]]:
    for route in routes:
        if hasattr(route, "effective_candidates"):  # newer FastAPI: an included router
            yield from _starlette_routes(route.effective_candidates())
        elif getattr(route, "methods", None) and getattr(route, "path", None):
            yield _flask_syntax(route.path), route.methods
        # else a Mount: MLflow mounts only its Flask app, at "/", listed by get_endpoints


def _served_routes() -> Iterator[tuple[str, Iterable[str]]]:
    """Every (path template, methods) of the installed ``mlflow server``, UI included."""
    from mlflow.server.handlers import get_endpoints

    for path, _handler, methods in get_endpoints():
        yield path, methods
    try:
        from mlflow.server.fastapi_app import app
    except ImportError:  # an MLflow whose server is Flask alone: nothing more
        return
    yield from _starlette_routes(app.routes)


def live_table() -> dict[str, list[str]]:
    """The API routes of the installed MLflow: ``{template: sorted methods}``."""
    table: dict[str, set[str]] = {}
    for path, methods in _served_routes():
        if path.startswith(API_ROOTS):
            table.setdefault(path, set()).update(_LISTED_METHODS.intersection(methods))
    return {path: sorted(methods) for path, methods in sorted(table.items()) if methods}


def installed_version() -> str:
    """The installed MLflow's version (the one the table is for)."""
    return version("mlflow-skinny")


def load_table() -> dict[str, list[str]]:
    """The shipped table when it matches the installed MLflow, else the live one."""
    shipped = json.loads(_TABLE_FILE.read_text())
    installed = installed_version()
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


_BUCKET_DEPTH = 4
_FAMILY_DEPTH = 3  # "/api/2.0/mlflow": where a tracking URI's routes start


def _bucket(path: str, depth: int) -> str:
    # "/api/2.0/mlflow/runs/<run_id>/x" -> "/api/2.0/mlflow/runs": templates are looked
    # up among the few sharing their first segments, not across the whole table.
    return "/".join(path.split("/", depth + 1)[: depth + 1])


def _literal_depth(template: str) -> int:
    """How many leading segments of ``template`` (at most four) hold no parameter."""
    segments = template.split("/")[1 : _BUCKET_DEPTH + 1]
    return next((i for i, s in enumerate(segments) if "<" in s), len(segments))


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
        # Templated routes by their literal leading segments ("/gateway/<name>/…" has
        # one: "/gateway"); a path is looked up at each depth some template under its
        # first segment has (under "/api" only the fourth).
        self._templated: dict[str, list[Route]] = {}
        depths: dict[str, set[int]] = {}
        for route in self.routes:
            if "<" in route.template:
                depth = _literal_depth(route.template)
                depths.setdefault(route.template.split("/", 2)[1], set()).add(depth)
                self._templated.setdefault(_bucket(route.template, depth), []).append(route)
        for bucket in self._templated.values():  # the most literal first, as MLflow orders
            bucket.sort(key=lambda r: -len(_CONVERTER.sub("", r.template)))
        self._depths = {root: sorted(d, reverse=True) for root, d in depths.items()}
        self._families = {
            _bucket(r.template, min(_FAMILY_DEPTH, _literal_depth(r.template))) for r in self.routes
        }

    def _candidates(self, path: str) -> list[Route]:
        exact = self._exact.get(path)
        found = [exact] if exact is not None else []
        parts = path.split("/", _BUCKET_DEPTH + 1)
        for depth in self._depths.get(parts[1], ()) if len(parts) > 1 else ():
            bucket = self._templated.get("/".join(parts[: depth + 1]), ())
            found.extend(r for r in bucket if r.pattern.match(path))
        return found

    def knows_family(self, path: str) -> bool:
        """True when ``path`` starts as some route does (``/api/2.0/mlflow/…``,
        ``/gateway/…``): a path under the right tracking URI, whether or not it is a route.

        Examples:
            >>> table = RouteTable({"/api/2.0/mlflow/runs/get": ["GET"]})
            >>> table.knows_family("/api/2.0/mlflow/runs/no-such"), table.knows_family("/api/x")
            (True, False)
        """
        return any(_bucket(path, depth) in self._families for depth in range(1, _FAMILY_DEPTH + 1))

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
    table = {"mlflow_version": installed_version(), "routes": live_table()}
    _TABLE_FILE.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(table['routes'])} routes for MLflow {table['mlflow_version']}")


if __name__ == "__main__":  # pragma: no cover
    main()
