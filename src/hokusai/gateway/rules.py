"""The gateway's rules, one implementation for both ways of running it.

:meth:`Rules.decide` takes what a request is (method, path, raw path, headers, query)
and answers either a :class:`Decision` (the MLflow route, what MLflow should be
given, the caller's key) or a :class:`Refusal` (the MLflow-shaped error to send). It
sends nothing itself, and it is the only place where requests are let through:

- the proxy (:mod:`hokusai.gateway.app`, ``hokusai gateway serve``) forwards a
  decision to MLflow over HTTP;
- the MLflow app plugin (:mod:`hokusai.gateway.mlflow_app`, ``mlflow server
  --app-name hokusai``) hands it to MLflow's own ASGI app in the same process.

The checks, in order: header size; a mount prefix (``/api/mlflow``, ``/mlflow`` or
none) followed by ``/api/``; no traversal tricks in the raw path
(:mod:`~hokusai.gateway.paths`); an MLflow API route for this method
(:mod:`~hokusai.gateway.routes`); one well-formed key, known, not revoked or expired,
with the scope the route needs (:mod:`~hokusai.gateway.credentials`,
:mod:`~hokusai.gateway.keys`). The key lookup is the only I/O: a local SQLite read
runs inline, any other store in a worker thread.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from random import getrandbits

import sqlalchemy.exc

from hokusai.gateway.credentials import (
    Credential,
    CredentialError,
    authorize,
    check_key,
    find_credentials,
)
from hokusai.gateway.keys import ApiKey, KeyStore
from hokusai.gateway.metrics import UNMATCHED
from hokusai.gateway.paths import UnsafePath, check_raw_path, split_mount, strip_query_key
from hokusai.gateway.responses import STATUS_FOR_CODE, send_error
from hokusai.gateway.routes import RouteTable
from hokusai.gateway.types import Send

# Answered by the gateway itself, at the root, without a key.
OPERATIONS = ("/health", "/ready", "/metrics")
MAX_HEADER_BYTES = 64 * 1024
HEADERS_TOO_LARGE = "Request headers too large ({size} bytes; the limit is {limit} bytes)."
KEY_STORE_DOWN = (
    "The registry's API-key store is not available right now (locked or unreachable); "
    "retry shortly or ask the registry operator to check it."
)
NOT_FOUND = (
    "No MLflow API route at {method} {path}. Point the client at the registry's tracking "
    "URI, e.g. http://127.0.0.1:5000/api/mlflow (MLflow adds /api/2.0/mlflow/… itself)."
)
WRONG_METHOD = "MLflow's route {path} does not accept {method}; it accepts {allowed}."
UNSAFE = "Refused path {path!r}: {reason}. Send the path as MLflow's client does."

# A locked, missing or unreadable key store.
STORE_ERRORS = (sqlalchemy.exc.SQLAlchemyError, sqlite3.Error)
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}\Z")


def request_id(headers: Iterable[tuple[bytes, bytes]], header_name: bytes) -> str:
    """The client's request id (``header_name``, lower-case) when well-formed, else a new one."""
    for name, value in headers:
        if name.lower() == header_name:
            candidate = value.decode("latin-1")
            if _REQUEST_ID.match(candidate):
                return candidate
    # 128 random bits, like uuid4().hex, without its getrandom() system call and UUID
    # object (request ids need to be unique, not secret).
    return f"{getrandbits(128):032x}"


@dataclass(frozen=True, slots=True)
class Refusal:
    """The request is answered with an MLflow-shaped error and goes no further.

    ``route`` is the MLflow route template when one matched (for metrics), ``reason``
    the credential-failure label (``missing``, ``unknown``, ``scope``…) when the key
    was the problem.
    """

    error_code: str
    message: str
    status: int
    route: str = UNMATCHED
    reason: str | None = None
    headers: tuple[tuple[bytes, bytes], ...] = ()

    async def send(self, send: Send) -> None:
        """Answer with this refusal."""
        await send_error(send, self.error_code, self.message, self.status, list(self.headers))


@dataclass(frozen=True, slots=True)
class Decision:
    """The request may reach MLflow: as which route, with which path and query, as whom.

    ``path`` and ``raw_path`` are the decoded and the raw path without the mount
    prefix; ``query`` is the query string without any ``api_key`` parameter.
    """

    route: str
    mount: str
    path: str
    raw_path: str
    query: str
    key: ApiKey

    @property
    def target(self) -> str:
        """Raw path and query, as MLflow should receive them."""
        return self.raw_path + ("?" + self.query if self.query else "")


def _refuse(error_code: str, message: str, **extra) -> Refusal:
    return Refusal(error_code, message, extra.pop("status", STATUS_FOR_CODE[error_code]), **extra)


class Rules:
    """Which requests reach MLflow, and as which key."""

    def __init__(self, routes: RouteTable, store: KeyStore, allow_query_key: bool) -> None:
        self.routes = routes
        self.store = store
        self.allow_query_key = allow_query_key
        self._local = store.is_local

    async def decide(
        self,
        method: str,
        path: str,
        raw_path: str,
        headers: list[tuple[bytes, bytes]],
        query: str,
    ) -> Decision | Refusal:
        """Let the request through or refuse it (see the module doc for the checks).

        ``path`` is the decoded path, ``raw_path`` the bytes the client sent (latin-1),
        ``query`` the raw query string; none of them is logged or echoed with a key.
        """
        size = sum(len(name) + len(value) for name, value in headers)
        if size > MAX_HEADER_BYTES:
            message = HEADERS_TOO_LARGE.format(size=size, limit=MAX_HEADER_BYTES)
            return _refuse("INVALID_PARAMETER_VALUE", message, status=431)
        mount = split_mount(path)
        if mount is None or not raw_path.startswith(mount[0]):
            return _refuse("ENDPOINT_NOT_FOUND", NOT_FOUND.format(method=method, path=path))
        try:
            check_raw_path(raw_path)
        except UnsafePath as exc:
            message = UNSAFE.format(path=raw_path[:200], reason=exc)
            return _refuse("INVALID_PARAMETER_VALUE", message)
        prefix, api_path = mount
        match = self.routes.match(api_path, method)
        if match.route is None:
            if match.allowed:
                allowed = ", ".join(sorted(match.allowed))
                message = WRONG_METHOD.format(path=api_path, method=method, allowed=allowed)
                allow = ((b"allow", allowed.encode()),)
                return _refuse("ENDPOINT_NOT_FOUND", message, status=405, headers=allow)
            return _refuse("ENDPOINT_NOT_FOUND", NOT_FOUND.format(method=method, path=path))
        route = match.route.template
        try:
            credential = find_credentials(headers, query, self.allow_query_key)
            if credential is not None and self._local:  # a quick local read, no coroutine
                found = self.store.verify(credential.secret)
            else:
                found = await self.lookup(credential)
            key = check_key(found, credential)
            authorize(key, "write" if match.route.is_write(method) else "read", method, api_path)
        except CredentialError as exc:
            return _refuse(exc.error_code, exc.message, route=route, reason=exc.reason)
        except STORE_ERRORS:
            return _refuse(
                "TEMPORARILY_UNAVAILABLE", KEY_STORE_DOWN, route=route, reason="store_unavailable"
            )
        return Decision(
            route, prefix, api_path, raw_path[len(prefix) :], strip_query_key(query), key
        )

    async def lookup(self, credential: Credential | None) -> ApiKey | None:
        """The stored key for ``credential`` (SQLite inline, other stores in a thread)."""
        if credential is None:
            return None
        if self.store.is_local:
            return self.store.verify(credential.secret)
        return await asyncio.to_thread(self.store.verify, credential.secret)
