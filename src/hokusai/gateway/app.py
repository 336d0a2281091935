"""The gateway ASGI application: paths, credentials, forwarding, metrics and logs put together.

A request to ``/api/mlflow/api/2.0/mlflow/runs/get?run_id=1`` goes through:

1. :mod:`~hokusai.gateway.paths`: mount prefix split off, raw path checked for
   traversal tricks;
2. :mod:`~hokusai.gateway.routes`: must be an MLflow API route for that method;
3. :mod:`~hokusai.gateway.credentials`: one well-formed key, valid in the
   :mod:`~hokusai.gateway.keys` store, with the scope the route needs;
4. :mod:`~hokusai.gateway.proxy`: forwarded (credentials removed, key id added)
   and streamed back.

Steps 1-3 are :meth:`hokusai.gateway.rules.Rules.decide`, the one implementation of
the rules, shared with the in-process mode (:mod:`~hokusai.gateway.mlflow_app`).

Every refusal is MLflow-shaped JSON (:mod:`~hokusai.gateway.responses`); every request
is counted (:mod:`~hokusai.gateway.metrics`) and logged
(:mod:`~hokusai.gateway.access_log`).
"""

from __future__ import annotations

import asyncio
import time

from hokusai.gateway.exchange import Exchange, send_metrics
from hokusai.gateway.keys import KeyStore
from hokusai.gateway.metrics import Metrics
from hokusai.gateway.paths import strip_query_key
from hokusai.gateway.proxy import (
    ClientDisconnected,
    InvalidHeader,
    Upstream,
    UpstreamAborted,
    UpstreamError,
    has_body,
)
from hokusai.gateway.responses import send_error, send_json
from hokusai.gateway.routes import RouteTable, load_table
from hokusai.gateway.rules import OPERATIONS, Refusal, Rules, request_id
from hokusai.gateway.settings import GatewaySettings
from hokusai.gateway.types import Receive, Scope, Send


class Gateway:
    """API-key gateway in front of one ``mlflow server`` (an ASGI application)."""

    def __init__(self, settings: GatewaySettings, store: KeyStore | None = None) -> None:
        self.settings = settings
        self.store = store or KeyStore(settings.db_url)
        self.routes = RouteTable(load_table())
        self.upstream = Upstream(settings)
        self.metrics = Metrics()
        self.rules = Rules(self.routes, self.store, settings.allow_query_key)
        self._request_id_header = settings.request_id_header.lower().encode()
        self._identity_name = settings.identity_header.encode()
        self._request_id_name = settings.request_id_header.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.upstream.close()
                await asyncio.to_thread(self.store.close)
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _request_id(self, scope: Scope) -> str:
        return request_id(scope["headers"], self._request_id_header)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        exchange = Exchange(self._request_id(scope))
        send_tagged = exchange.tagging(send, self._request_id_header)
        try:
            await self._dispatch(scope, receive, send_tagged, exchange)
        finally:
            self._record(scope, exchange, time.perf_counter() - started)

    def _record(self, scope: Scope, exchange: Exchange, seconds: float) -> None:
        query = strip_query_key(scope.get("query_string", b"").decode("latin-1"))
        exchange.record(scope, seconds, query, self.metrics, self.settings.access_log)

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send, ex: Exchange) -> None:
        path, method = scope["path"], scope["method"]
        if path in OPERATIONS:
            ex.route = path
            await self._operation(path, send)
            return
        raw_path = scope.get("raw_path", path.encode()).decode("latin-1")
        query = scope.get("query_string", b"").decode("latin-1")
        decision = await self.rules.decide(method, path, raw_path, scope["headers"], query)
        if isinstance(decision, Refusal):
            await ex.refuse(decision, self.metrics, send)
            return
        ex.route, ex.key_id = decision.route, decision.key.id
        body = has_body(scope["headers"])
        extra = (
            (self._identity_name, decision.key.id.encode()),
            (self._request_id_name, ex.request_id.encode()),
        )
        try:
            head, chunked = self.upstream.request_head(
                method, decision.target, scope["headers"], extra, body
            )
        except InvalidHeader as exc:
            await send_error(send, "INVALID_PARAMETER_VALUE", f"Refused request: {exc}.")
            return
        await self._forward(method, head, body, chunked, receive, send)

    async def _forward(
        self,
        method: str,
        head: bytes,
        body: bool,
        chunked: bool,
        receive: Receive,
        send: Send,
    ) -> None:
        try:
            await self.upstream.forward(method, head, body, chunked, receive, send)
        except UpstreamError as exc:
            self.metrics.upstream_errors.labels(exc.kind).inc()
            await send_error(send, exc.error_code, exc.message, exc.status)
        except UpstreamAborted:
            self.metrics.upstream_errors.labels("aborted").inc()
            raise
        except ClientDisconnected:
            pass

    async def _operation(self, path: str, send: Send) -> None:
        if path == "/health":
            await send_json(send, 200, {"status": "ok"})
        elif path == "/ready":
            checks = await self.checks()
            ready = all(v == "ok" for v in checks.values())
            await send_json(send, 200 if ready else 503, {"ready": ready, "checks": checks})
        else:
            await send_metrics(self.metrics, send)

    async def checks(self) -> dict[str, str]:
        """``{"mlflow": "ok" | problem, "key_store": "ok" | problem}`` right now."""
        return {"mlflow": await self._check_mlflow(), "key_store": await self._check_store()}

    async def _check_mlflow(self) -> str:
        try:
            status = await self.upstream.probe("/health", self.settings.connect_timeout + 5)
        except Exception as exc:
            cause = exc.__cause__ if isinstance(exc, UpstreamError) and exc.__cause__ else exc
            return f"MLflow not reachable: {type(cause).__name__}"
        return "ok" if status == 200 else f"MLflow answered {status}"

    async def _check_store(self) -> str:
        try:
            await asyncio.to_thread(self.store.ping)
        except Exception as exc:
            return f"key store not reachable: {type(exc).__name__}"
        return "ok"


def create_app(settings: GatewaySettings | None = None, store: KeyStore | None = None) -> Gateway:
    """Build the gateway from settings (``HOKUSAI_GATEWAY_*`` variables when not given)."""
    return Gateway(settings or GatewaySettings(), store)
