"""The gateway's rules: which requests reach MLflow, and as which key.

`Rules.decide` takes a request's ASGI scope and answers either a
`Decision` (the MLflow route, what MLflow should be given, the caller's key) or a
`Refusal` (the MLflow-shaped error to send). It sends
nothing itself; the rules core (`core`) is its only caller, in
both ways of running the gateway.

The checks, in order: header size; a mount prefix (``/api/mlflow``, ``/mlflow`` or
none) followed by one of MLflow's API roots (``/api/``, ``/v1/``, ``/gateway/``); no
traversal tricks in the raw path (`paths`); an MLflow API route for this method
(`routes`); a credential, found by the first of the
authenticators that recognises one (`credentials`), standing for
a key that is known, not revoked or expired, with the scope the route needs. Finding
the key is the only I/O.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy.exc

from hokusai.gateway import hints
from hokusai.gateway.credentials import Authenticator, CredentialError, authorize, missing
from hokusai.gateway.headers import strip_query_key
from hokusai.gateway.keys import ApiKey
from hokusai.gateway.metrics import UNMATCHED
from hokusai.gateway.paths import UnsafePath, check_raw_path, split_mount
from hokusai.gateway.responses import Refusal, refusal
from hokusai.gateway.routes import RouteTable, installed_version
from hokusai.gateway.types import Scope

MAX_HEADER_BYTES = 64 * 1024
HEADERS_TOO_LARGE = "Request headers too large ({size} bytes; the limit is {limit} bytes)."
KEY_STORE_DOWN = (
    "The registry's API-key store is not available right now (locked or unreachable); "
    "retry shortly or ask the registry operator to check it."
)
WRONG_METHOD = "MLflow's route {path} does not accept {method}; it accepts {allowed}."
UNSAFE = "Refused path {path!r}: {reason}. Send the path as MLflow's client does."

# A locked, missing or unreadable key store.
STORE_ERRORS = (sqlalchemy.exc.SQLAlchemyError, sqlite3.Error)


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


class Rules:
    """Which requests reach MLflow, and as which key."""

    def __init__(self, routes: RouteTable, authenticators: Sequence[Authenticator]) -> None:
        self.routes = routes
        self.authenticators = tuple(authenticators)
        self.mlflow_version = installed_version()

    async def decide(self, scope: Scope, query: str) -> Decision | Refusal:
        """Let the request through or refuse it (see the module doc for the checks).

        ``query`` is the raw query string as the client sent it (credentials included);
        nothing of it is logged or echoed with a key.
        """
        method, path, headers = scope["method"], scope["path"], scope["headers"]
        raw_path = (scope.get("raw_path") or path.encode()).decode("latin-1")
        size = sum(len(name) + len(value) for name, value in headers)
        if size > MAX_HEADER_BYTES:
            message = HEADERS_TOO_LARGE.format(size=size, limit=MAX_HEADER_BYTES)
            return refusal("INVALID_PARAMETER_VALUE", message, status=431, route=UNMATCHED)
        mount = split_mount(path)
        if mount is None or not raw_path.startswith(mount[0]):
            return self._not_found(scope, None)
        try:
            check_raw_path(raw_path)
        except UnsafePath as exc:
            message = UNSAFE.format(path=raw_path[:200], reason=exc)
            return refusal("INVALID_PARAMETER_VALUE", message, route=UNMATCHED)
        prefix, api_path = mount
        match = self.routes.match(api_path, method)
        if match.route is None:
            if match.allowed:
                allowed = ", ".join(sorted(match.allowed))
                message = WRONG_METHOD.format(path=api_path, method=method, allowed=allowed)
                allow = ((b"allow", allowed.encode()),)
                return refusal(
                    "ENDPOINT_NOT_FOUND", message, status=405, route=UNMATCHED, headers=allow
                )
            return self._not_found(scope, mount[0])
        route = match.route.template
        try:
            for authenticator in self.authenticators:  # the first that finds a credential
                key = await authenticator.authenticate(headers, query)
                if key is not None:
                    break
            else:
                raise missing(hints.client_of(headers))
            authorize(key, "write" if match.route.is_write(method) else "read", method, api_path)
        except CredentialError as exc:
            return refusal(exc.error_code, exc.message, route=route, reason=exc.reason)
        except STORE_ERRORS:
            return refusal(
                "TEMPORARILY_UNAVAILABLE", KEY_STORE_DOWN, route=route, reason="store_unavailable"
            )
        return Decision(
            route, prefix, api_path, raw_path[len(prefix) :], strip_query_key(query), key
        )

    def _not_found(self, scope: Scope, mount: str | None) -> Refusal:
        """No route: the message says whether the tracking URI or the call is wrong."""
        family = mount is not None and self.routes.knows_family(scope["path"][len(mount) :])
        message = hints.not_found(scope, mount, family, self.mlflow_version)
        return refusal("ENDPOINT_NOT_FOUND", message, route=UNMATCHED)
