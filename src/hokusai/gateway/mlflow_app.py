"""In-process mode: the gateway's rules inside ``mlflow server``, as an MLflow app plugin.

::

    HOKUSAI_GATEWAY_DB_URL=sqlite:////var/lib/hokusai/keys.db \\
        mlflow server --app-name hokusai --backend-store-uri ... --artifacts-destination ...

How MLflow loads it (MLflow 3.17, ``mlflow/server/__init__.py``): ``--app-name`` is a
choice among the ``mlflow.app`` entry points (``hokusai`` is declared in this package's
``pyproject.toml``); ``_run_server`` resolves it to
``hokusai.gateway.mlflow_app:create_app``, sees a plain function (``_is_factory``) and
starts uvicorn with ``--factory``, so every uvicorn worker calls :func:`create_app`
and serves the ASGI app it returns. That app, :class:`InProcessGateway`, wraps
MLflow's own (FastAPI around Flask) app and applies :meth:`Rules.decide
<hokusai.gateway.rules.Rules.decide>` to every request first: the same rules, errors
and key store as the proxy (``hokusai gateway serve``), without the extra hop.

What differs from the proxy, by design:

- MLflow receives the request in the same process: credentials (``Authorization``,
  ``X-API-Key``, ``?api_key=``) are removed from what MLflow's handlers see, and the
  key's id is added as the identity header, as the proxy does; the ``api_key``
  parameter is also removed from the scope uvicorn's access log reads.
- The client's ``Host`` reaches MLflow's own Host check (``--allowed-hosts``).
- ``/health`` and ``/metrics`` answer as the proxy's do; ``/ready`` checks the key
  store only (MLflow is this process).
- The MLflow UI, ``/ajax-api``, ``/graphql``, ``/static-files``, ``/version`` and
  MLflow's other non-API routes are refused with the proxy's JSON 404, like every path
  that is not an MLflow API route.
- Only uvicorn (MLflow's default server) is supported; ``--gunicorn-opts``,
  ``--waitress-opts`` and ``--static-prefix`` are refused at start-up.

Settings are the proxy's ``HOKUSAI_GATEWAY_*`` variables; those about reaching MLflow
over HTTP (URL, timeouts, pool, host, port, workers) do not apply.
"""

from __future__ import annotations

import logging
import os
import sys
import time

from hokusai.gateway import access_log
from hokusai.gateway.credentials import CREDENTIAL_HEADERS
from hokusai.gateway.exchange import Exchange, send_metrics
from hokusai.gateway.keys import KeyStore
from hokusai.gateway.metrics import Metrics
from hokusai.gateway.paths import strip_query_key
from hokusai.gateway.proxy import ESSENTIAL
from hokusai.gateway.responses import send_json
from hokusai.gateway.routes import RouteTable, load_table
from hokusai.gateway.rules import OPERATIONS, Refusal, Rules, request_id
from hokusai.gateway.settings import GatewaySettings
from hokusai.gateway.types import ASGIApp, Message, Receive, Scope, Send

NOT_UVICORN = (
    "The hokusai app plugin runs under uvicorn, MLflow's default server: drop "
    "--gunicorn-opts / --waitress-opts from `mlflow server --app-name hokusai`."
)
STATIC_PREFIX = (
    "The hokusai app plugin serves MLflow's API at /api/mlflow, /mlflow and / itself: "
    "drop --static-prefix from `mlflow server --app-name hokusai`."
)
STORE_FAILED = "Cannot open the key store {url!r}: {error}"


class InProcessGateway:
    """MLflow's ASGI app behind the gateway's rules, in one process."""

    def __init__(self, app: ASGIApp, settings: GatewaySettings, store: KeyStore | None = None):
        self.app = app
        self.settings = settings
        self.store = store or KeyStore(settings.db_url)
        self.rules = Rules(RouteTable(load_table()), self.store, settings.allow_query_key)
        self.metrics = Metrics()
        self._identity = settings.identity_header.lower().encode()
        self._request_id = settings.request_id_header.lower().encode()
        self._drop = (
            CREDENTIAL_HEADERS
            | {self._identity, self._request_id}
            | {h.encode() for h in settings.remove_headers}
        )
        self._allow = (
            frozenset(h.encode() for h in settings.forward_headers) | ESSENTIAL | {b"host"}
            if settings.forward_headers
            else None
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self.app(scope, receive, self._closing(send))
        elif kind == "websocket":  # the proxy serves no websocket either
            await send({"type": "websocket.close", "code": 1008})

    def _closing(self, send: Send) -> Send:
        async def closing(message: Message) -> None:
            if message["type"] == "lifespan.shutdown.complete":
                self.store.close()
            await send(message)

        return closing

    def headers(self, headers: list[tuple[bytes, bytes]], key_id: str, rid: str) -> list:
        """The request headers as MLflow's handlers see them: no credentials, the key's id."""
        drop, allow = self._drop, self._allow
        kept = [
            (name, value)
            for name, value in headers
            if (lowered := name.lower()) not in drop and (allow is None or lowered in allow)
        ]
        kept.append((self._identity, key_id.encode()))
        kept.append((self._request_id, rid.encode()))
        return kept

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        query = scope.get("query_string", b"").decode("latin-1")
        if query:
            # In place: uvicorn's access log reads this very scope when the answer starts.
            stripped = strip_query_key(query)
            if stripped != query:
                scope["query_string"] = stripped.encode("latin-1")
        exchange = Exchange(request_id(scope["headers"], self._request_id))
        send_tagged = exchange.tagging(send, self._request_id)
        try:
            await self._dispatch(scope, query, receive, send_tagged, exchange)
        finally:
            self._record(scope, exchange, time.perf_counter() - started)

    async def _dispatch(
        self, scope: Scope, query: str, receive: Receive, send: Send, ex: Exchange
    ) -> None:
        path, method = scope["path"], scope["method"]
        if path in OPERATIONS:
            ex.route = path
            await self._operation(path, send)
            return
        raw_path = (scope.get("raw_path") or path.encode()).decode("latin-1")
        decision = await self.rules.decide(method, path, raw_path, scope["headers"], query)
        if isinstance(decision, Refusal):
            await ex.refuse(decision, self.metrics, send)
            return
        ex.route, ex.key_id = decision.route, decision.key.id
        inner = dict(scope)
        inner["path"] = decision.path
        inner["raw_path"] = decision.raw_path.encode("latin-1")
        inner["query_string"] = decision.query.encode("latin-1")
        inner["headers"] = self.headers(scope["headers"], decision.key.id, ex.request_id)
        await self.app(inner, receive, send)

    def _record(self, scope: Scope, ex: Exchange, seconds: float) -> None:
        query = scope.get("query_string", b"").decode("latin-1")  # api_key removed in _http
        ex.record(scope, seconds, query, self.metrics, self.settings.access_log)

    async def _operation(self, path: str, send: Send) -> None:
        if path == "/health":
            await send_json(send, 200, {"status": "ok"})
        elif path == "/ready":
            checks = {"key_store": self._check_store()}
            ready = all(v == "ok" for v in checks.values())
            await send_json(send, 200 if ready else 503, {"ready": ready, "checks": checks})
        else:
            await send_metrics(self.metrics, send)

    def _check_store(self) -> str:
        try:
            self.store.ping()
        except Exception as exc:
            return f"key store not reachable: {type(exc).__name__}"
        return "ok"


def _json_access_log(level: str) -> None:
    """The proxy's JSON lines on stdout for ``hokusai.*``, unless logging is set up already."""
    logger = logging.getLogger("hokusai")
    if logger.handlers:
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(access_log.JsonFormatter())
    logger.addHandler(handler)
    logger.setLevel(level.upper())
    logger.propagate = False


def create_app() -> InProcessGateway:
    """The app ``mlflow server --app-name hokusai`` serves (called once per uvicorn worker).

    Settings come from the ``HOKUSAI_GATEWAY_*`` variables (the key store from
    ``HOKUSAI_GATEWAY_DB_URL``), as for ``hokusai gateway serve``.
    """
    from mlflow.environment_variables import _MLFLOW_SGI_NAME  # set by `mlflow server`

    if _MLFLOW_SGI_NAME.get() not in (None, "uvicorn"):
        raise RuntimeError(NOT_UVICORN)
    from mlflow.server.handlers import STATIC_PREFIX_ENV_VAR

    if os.environ.get(STATIC_PREFIX_ENV_VAR):
        raise RuntimeError(STATIC_PREFIX)
    settings = GatewaySettings()
    try:
        store = KeyStore(settings.db_url)
    except Exception as exc:
        raise RuntimeError(
            STORE_FAILED.format(url=settings.db_url, error=f"{type(exc).__name__}: {exc}")
        ) from None
    if settings.access_log:
        _json_access_log(settings.log_level)

    from mlflow.server.fastapi_app import app as mlflow_asgi_app  # ~10 s: MLflow's server

    return InProcessGateway(mlflow_asgi_app, settings, store)
