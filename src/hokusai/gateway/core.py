"""The rules core: one ASGI layer in front of MLflow, for both ways of running the gateway.

`Gateway` wraps an inner ASGI app and is the only way to it:

- ``hokusai gateway serve`` / ``hokusai local up`` wrap the
  `ProxyApp`, which forwards to ``mlflow server`` over
  HTTP (`hokusai.gateway.app.create_app`);
- ``mlflow server --app-name hokusai`` wraps MLflow's own ASGI app, in its process
  (`hokusai.gateway.mlflow_app.create_app`).

For every HTTP request the core answers ``/health``, ``/ready`` and ``/metrics``
itself, and the MLflow UI's sign-in and sign-out pages (`signin`); for any other it
asks `Rules` and either answers
the refusal or hands the inner app the request as MLflow may see it (mount prefix off,
``api_key`` off the query, headers through
`HeaderPolicy`). Either way it tags the answer with the request id, counts it
(`metrics`) and writes its access-log line (`exchange`), and, with ``debug_headers``
on, its header-debug line (`header_debug`). The modes differ only in the inner app and
in what ``/ready`` (and ``/metrics``, which reports the same checks) asks of it
(``mlflow_check``: none in-process, where MLflow is this process).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from hokusai.gateway import header_debug
from hokusai.gateway.credentials import ApiKeyCredentials
from hokusai.gateway.exchange import METHODS, Exchange, send_metrics
from hokusai.gateway.headers import HeaderPolicy, strip_query_key
from hokusai.gateway.keys import KeyStore
from hokusai.gateway.metrics import Metrics
from hokusai.gateway.responses import BrokenOff, Refusal, Refused, refusal, send_json
from hokusai.gateway.routes import RouteTable, load_table
from hokusai.gateway.rules import KEY_STORE_DOWN, STORE_ERRORS, Decision, Rules
from hokusai.gateway.sessions import (
    SessionAuthenticator,
    SessionStore,
)
from hokusai.gateway.settings import GatewaySettings
from hokusai.gateway.signin import SignIn
from hokusai.gateway.types import ASGIApp, Message, Receive, Scope, Send
from hokusai.gateway.ui import PAGE, UiRoutes

# Answered by the gateway itself, at the root, without a key.
OPERATIONS = ("/health", "/ready", "/metrics")
# How long a scrape of /metrics waits for MLflow's /health (Prometheus gives a whole
# scrape 10 s by default): a hung MLflow is then reported as failing, not as a failed scrape.
METRICS_CHECK_TIMEOUT = 3.0


class Gateway:
    """The gateway's rules around ``inner``, an ASGI app that is (or reaches) MLflow."""

    def __init__(
        self,
        inner: ASGIApp,
        settings: GatewaySettings,
        store: KeyStore | None = None,
        mlflow_check: Callable[[], Awaitable[str]] | None = None,
    ) -> None:
        self.inner = inner
        self.settings = settings
        self.store = store or KeyStore(settings.db_url)
        self.mlflow_check = mlflow_check
        self.headers = HeaderPolicy(settings)
        self.sessions = SessionStore(self.store, settings.session_lifetime)
        self.signin = SignIn(self.store, self.sessions, settings)
        routes = RouteTable(load_table())
        self.rules = Rules(
            routes,
            [
                ApiKeyCredentials(self.store, settings.allow_query_key),
                SessionAuthenticator(self.sessions),
            ],
            UiRoutes(routes),
            self.signin,
        )
        self.metrics = Metrics(key_ids=settings.metrics_key_ids)
        self.debug_headers = settings.debug_headers
        if self.debug_headers:
            header_debug.enable()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self.inner(scope, receive, self._closing_store(send))
        elif kind == "websocket":  # MLflow's API has none
            await send({"type": "websocket.close", "code": 1008})

    def _closing_store(self, send: Send) -> Send:
        async def closing(message: Message) -> None:
            if message["type"] == "lifespan.shutdown.complete":
                await asyncio.to_thread(self.store.close)
            await send(message)

        return closing

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        query = scope.get("query_string", b"").decode("latin-1")
        if query:
            # In place: what is logged, by us or by uvicorn, is read from this scope.
            stripped = strip_query_key(query)
            if stripped != query:
                scope["query_string"] = stripped.encode("latin-1")
        exchange = Exchange(self.headers.request_id(scope["headers"]))
        send_tagged = exchange.tagging(send, self.headers.request_id_header)
        try:
            await self._dispatch(scope, query, receive, send_tagged, exchange)
        finally:
            seconds = time.perf_counter() - started
            exchange.record(scope, seconds, self.metrics, self.settings.access_log)
            if self.debug_headers and scope["path"] not in OPERATIONS:
                self._log_headers(scope, query, exchange)

    async def _dispatch(
        self, scope: Scope, query: str, receive: Receive, send: Send, ex: Exchange
    ) -> None:
        path = scope["path"]
        if path in OPERATIONS:
            ex.route = path
            await self._operation(path, send)
            return
        own = self.signin.endpoint(path)
        if own is not None:
            await self._signin(scope, receive, send, ex, *own)
            return
        decision = await self.rules.decide(scope, query)
        if isinstance(decision, Refusal):
            await ex.refuse(decision, self.metrics, send)
            return
        ex.route, ex.key_id = decision.route, decision.key.id
        inner_scope = self._for_mlflow(scope, decision, ex)
        ex.forwarded_at = time.perf_counter()
        try:
            await self.inner(inner_scope, receive, send)
        except Refused as exc:
            await ex.refuse(exc.refusal, self.metrics, send)
        except BrokenOff as exc:
            ex.aborted = True
            self.metrics.upstream_errors.labels(exc.kind).inc()
            raise

    async def _signin(
        self, scope: Scope, receive: Receive, send: Send, ex: Exchange, mount: str, name: str
    ) -> None:
        """The sign-in and sign-out pages (`signin`), counted and logged as route ``name``."""
        ex.route = name or PAGE  # a bare mount: redirected to its page
        try:
            answer = await self.signin.handle(scope, receive, send, mount, name)
        except STORE_ERRORS:
            answer = refusal(
                "TEMPORARILY_UNAVAILABLE", KEY_STORE_DOWN, route=name, reason="store_unavailable"
            )
        if isinstance(answer, Refusal):
            await ex.refuse(answer, self.metrics, send)
        elif answer:
            ex.key_id = answer

    def _for_mlflow(self, scope: Scope, decision: Decision, ex: Exchange) -> Scope:
        """The request as MLflow may see it (`headers.HeaderPolicy.for_mlflow`)."""
        inner = dict(scope)
        inner["path"] = decision.path
        inner["raw_path"] = decision.raw_path.encode("latin-1")
        inner["query_string"] = decision.query.encode("latin-1")
        inner["headers"] = self.headers.for_mlflow(
            scope["headers"], decision.key.id, ex.request_id, decision.ambient
        )
        if self.debug_headers:
            ex.forwarded = inner["headers"]
        return inner

    def _log_headers(self, scope: Scope, query: str, ex: Exchange) -> None:
        header_debug.log_headers(
            request_id=ex.request_id,
            method=scope["method"] if scope["method"] in METHODS else "OTHER",
            route=ex.route,
            status=ex.status or 499,
            received=scope["headers"],
            query=query,
            forwarded=ex.forwarded,
        )

    async def _operation(self, path: str, send: Send) -> None:
        if path == "/health":
            await send_json(send, 200, {"status": "ok"})
        elif path == "/ready":
            checks = await self.checks()
            ready = all(v == "ok" for v in checks.values())
            await send_json(send, 200 if ready else 503, {"ready": ready, "checks": checks})
        else:
            await send_metrics(self.metrics, send, await self.checks(METRICS_CHECK_TIMEOUT))

    async def checks(self, timeout: float | None = None) -> dict[str, str]:
        """What ``/ready`` reports: ``"ok"`` or the problem, for MLflow (unless it is
        this process) and for the key store; MLflow's check given up after ``timeout``
        seconds if set."""
        checks = {}
        if self.mlflow_check is not None:
            try:
                async with asyncio.timeout(timeout):
                    checks["mlflow"] = await self.mlflow_check()
            except TimeoutError:
                checks["mlflow"] = f"MLflow did not answer within {timeout:g} s"
        try:
            await asyncio.to_thread(self.store.ping)
        except Exception as exc:
            checks["key_store"] = f"key store not reachable: {type(exc).__name__}"
        else:
            checks["key_store"] = "ok"
        return checks
