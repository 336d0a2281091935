"""The gateway ASGI application: routing, auth and forwarding put together."""

from __future__ import annotations

import logging
import posixpath
import time
import uuid
from urllib.parse import parse_qsl, unquote, urlencode

import aiohttp

from hokusai.gateway import proxy
from hokusai.gateway.auth import CredentialError, authenticate, authorize, find_credentials
from hokusai.gateway.errors import send_error, send_json
from hokusai.gateway.keys import KeyStore
from hokusai.gateway.routes import RouteTable, load_table
from hokusai.gateway.settings import GatewaySettings
from hokusai.gateway.types import Receive, Scope, Send

logger = logging.getLogger("hokusai.gateway")

# Longest first: "/api/mlflow" must win over a bare "/api/2.0/…".
MOUNT_PREFIXES = ("/api/mlflow", "/mlflow", "")


def split_mount(path: str) -> tuple[str, str] | None:
    """``/api/mlflow/api/2.0/mlflow/x`` → (``/api/mlflow``, ``/api/2.0/mlflow/x``)."""
    for prefix in MOUNT_PREFIXES:
        if path.startswith(prefix + "/api/"):
            return prefix, path[len(prefix) :]
    return None


def is_traversal(raw_path: str) -> bool:
    """True when the path, decoded once or twice, has ``.``/``..`` segments or backslashes."""
    for candidate in (raw_path, unquote(raw_path), unquote(unquote(raw_path))):
        if "\\" in candidate or posixpath.normpath(candidate) != candidate.rstrip("/") or (
            "/./" in candidate or "/../" in candidate or candidate.endswith(("/.", "/.."))
        ):
            return True
    return False


class Gateway:
    """API-key gateway in front of one ``mlflow server``."""

    def __init__(self, settings: GatewaySettings, store: KeyStore | None = None) -> None:
        self.settings = settings
        self.store = store or KeyStore(settings.db_url)
        self.routes = RouteTable(load_table())
        self.upstream = settings.mlflow_url.rstrip("/")
        self.session: aiohttp.ClientSession | None = None
        self.drop_headers = proxy.REQUEST_DROP | {settings.identity_header.lower().encode()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._session()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.session is not None:
                    await self.session.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _session(self) -> aiohttp.ClientSession:
        if self.session is None or self.session.closed:
            s = self.settings
            self.session = proxy.new_session(s.connect_timeout, s.read_timeout, s.max_connections)
        return self.session

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        path, method = scope["path"], scope["method"]
        status = await self._dispatch(scope, receive, send)
        logger.info(
            "%s %s %s %.1fms",
            method,
            path,
            status,
            (time.perf_counter() - started) * 1000,
            extra={"request_id": scope.get("hokusai.request_id"), "key_id": scope.get("hokusai.key_id")},
        )

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> int:
        path, method = scope["path"], scope["method"]
        scope["hokusai.request_id"] = uuid.uuid4().hex[:16]
        if path == "/health":
            await send_json(send, 200, {"status": "ok"})
            return 200
        if path == "/ready":
            ready = await self.ready()
            await send_json(send, 200 if ready else 503, {"ready": ready})
            return 200 if ready else 503
        raw_path = scope.get("raw_path", path.encode()).decode("latin-1")
        mount = split_mount(path)
        route = self.routes.match(mount[1]) if mount else None
        if is_traversal(raw_path) or route is None:
            await send_error(
                send,
                "ENDPOINT_NOT_FOUND",
                f"No MLflow API route at {method} {path}. Point the client at the registry's "
                "tracking URI, e.g. http://127.0.0.1:5000/api/mlflow (MLflow adds "
                "/api/2.0/mlflow/… itself).",
            )
            return 404
        try:
            credential = find_credentials(
                scope["headers"], scope.get("query_string", b""), self.settings.allow_query_key
            )
            key = authenticate(credential, self.store)
            forwarded_path = mount[1]
            authorize(key, "write" if route.is_write(method) else "read", method, forwarded_path)
        except CredentialError as exc:
            await send_error(send, exc.error_code, exc.message)
            return 401 if exc.error_code == "UNAUTHENTICATED" else 403
        scope["hokusai.key_id"] = key.id
        upstream_path = raw_path[len(mount[0]) :] if mount[0] else raw_path
        url = self.upstream + upstream_path + _query_without_key(scope.get("query_string", b""))
        headers = proxy.request_headers(
            scope["headers"], self.drop_headers, {self.settings.identity_header: key.id}
        )
        return await proxy.forward(
            self._session(),
            method,
            url,
            headers,
            proxy._has_body(scope["headers"]),
            receive,
            send,
            self.upstream,
        )

    async def ready(self) -> bool:
        try:
            self.store.ping()
            async with self._session().get(self.upstream + "/health") as response:
                return response.status == 200
        except Exception:
            return False


def _query_without_key(query_string: bytes) -> str:
    if not query_string:
        return ""
    if b"api_key" not in query_string:
        return "?" + query_string.decode("latin-1")
    pairs = [
        (k, v)
        for k, v in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
        if k != "api_key"
    ]
    return "?" + urlencode(pairs) if pairs else ""


def create_app(settings: GatewaySettings | None = None, store: KeyStore | None = None) -> Gateway:
    """Build the gateway from settings (environment variables when not given)."""
    return Gateway(settings or GatewaySettings(), store)
