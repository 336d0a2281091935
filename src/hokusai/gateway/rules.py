"""The gateway's rules: which requests reach MLflow, and as which key.

`Rules.decide` takes a request's ASGI scope and answers either a
`Decision` (the MLflow route, what MLflow should be given, the caller's key) or a
`Refusal` (the MLflow-shaped error to send). It sends
nothing itself; the rules core (`core`) is its only caller, in
both ways of running the gateway.

The checks, in order: header size; a mount prefix (``/api/mlflow``, ``/mlflow`` or
none) followed by one of MLflow's API roots (``/api/``, ``/v1/``, ``/gateway/``); no
traversal tricks in the raw path (`paths`); an MLflow API route for this method
(`routes`), else a path of the MLflow UI (`ui`: ``/``, ``/static-files/…``,
``/ajax-api/…``, ``/graphql``…); a credential, found by the first of the
authenticators that recognises one (`credentials`: an API key, else the browser's
session cookie, `sessions`), standing for a key that is known, not revoked or expired,
with the scope the route needs; for a state-changing request authorised by the
session cookie, a same-origin proof. Finding the key is the only I/O. A browser
opening the UI's page (``<mount>/``) without a valid session is answered the sign-in
page (`signin`) instead of JSON.
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
from hokusai.gateway.sessions import not_signed_in, same_origin
from hokusai.gateway.signin import SignIn
from hokusai.gateway.types import Scope
from hokusai.gateway.ui import PAGE, UiRoute, UiRoutes, split_ui

MAX_HEADER_BYTES = 64 * 1024
HEADERS_TOO_LARGE = "Request headers too large ({size} bytes; the limit is {limit} bytes)."
KEY_STORE_DOWN = (
    "The registry's API-key store is not available right now (locked or unreachable); "
    "retry shortly or ask the registry operator to check it."
)
WRONG_METHOD = "MLflow's route {path} does not accept {method}; it accepts {allowed}."
UNSAFE = "Refused path {path!r}: {reason}. Send the path as MLflow's client does."

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# A locked, missing or unreadable key store.
STORE_ERRORS = (sqlalchemy.exc.SQLAlchemyError, sqlite3.Error)


@dataclass(frozen=True, slots=True)
class Decision:
    """The request may reach MLflow: as which route, with which path and query, as whom.

    ``path`` and ``raw_path`` are the decoded and the raw path without the mount
    prefix; ``query`` is the query string without any ``api_key`` parameter;
    ``ambient``: the key came from the browser's session cookie (and the request, if
    it changes state, passed the same-origin check).
    """

    route: str
    mount: str
    path: str
    raw_path: str
    query: str
    key: ApiKey
    ambient: bool = False


class Rules:
    """Which requests reach MLflow, and as which key.

    With ``ui``, the MLflow UI's paths are routes too (`ui`); with ``signin``, a
    browser opening the UI's page without a valid session gets the sign-in page.
    """

    def __init__(
        self,
        routes: RouteTable,
        authenticators: Sequence[Authenticator],
        ui: UiRoutes | None = None,
        signin: SignIn | None = None,
    ) -> None:
        self.routes = routes
        self.authenticators = tuple(authenticators)
        self.mlflow_version = installed_version()
        self.ui = ui
        self.signin = signin

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
        mounted = split_mount(path)
        mount = mounted or ("", "")  # "": no API route; maybe a UI path
        if not raw_path.startswith(mount[0]):
            return self._not_found(scope, None)
        try:
            check_raw_path(raw_path)
        except UnsafePath as exc:
            message = UNSAFE.format(path=raw_path[:200], reason=exc)
            return refusal("INVALID_PARAMETER_VALUE", message, route=UNMATCHED)
        prefix, api_path = mount
        match = self.routes.match(api_path, method)
        if match.route is None:
            ui = self._ui(path, raw_path, method) if not match.allowed else None
            if isinstance(ui, Refusal):
                return ui
            if ui is not None:
                return await self._admit(scope, query, raw_path, *ui, ui=True)
            if match.allowed:
                return _wrong_method(api_path, method, match.allowed)
            return self._not_found(scope, mounted[0] if mounted else None)
        route = match.route
        return await self._admit(
            scope, query, raw_path, prefix, api_path, route.template, route.is_write(method)
        )

    def _ui(
        self, path: str, raw_path: str, method: str
    ) -> tuple[str, str, str, bool] | Refusal | None:
        """(mount, UI path, template, writes?) for a path of the MLflow UI; a refusal
        for a UI path that does not take ``method``; ``None`` for no UI path."""
        if self.ui is None:
            return None
        ui = split_ui(path)
        if ui is None or ui.path.startswith("/api/") or not raw_path.startswith(ui.mount):
            return None
        found = self.ui.match(ui.path, method)
        if isinstance(found, UiRoute):
            return ui.mount, ui.path, found.template, found.writes
        return None if not found.allowed else _wrong_method(ui.path, method, found.allowed)

    async def _admit(
        self,
        scope: Scope,
        query: str,
        raw_path: str,
        prefix: str,
        path: str,
        route: str,
        writes: bool,
        ui: bool = False,
    ) -> Decision | Refusal:
        """The credential and scope step, for a route found under ``prefix`` (``ui``: a
        route of the MLflow UI)."""
        method, headers = scope["method"], scope["headers"]
        ambient = False
        try:
            for authenticator in self.authenticators:  # the first that finds a credential
                key = await authenticator.authenticate(headers, query)
                if key is not None:
                    ambient = authenticator.ambient
                    break
            else:
                raise not_signed_in() if ui else missing(hints.client_of(headers))
            if ambient and method not in SAFE_METHODS:
                cross = same_origin(scope)
                if cross is not None:
                    raise cross
            authorize(key, "write" if writes else "read", method, path)
        except CredentialError as exc:
            if ui and self.signin is not None and route == PAGE and method in SAFE_METHODS:
                return self.signin.page(scope, prefix, _here(raw_path, query), exc, route=route)
            return refusal(exc.error_code, exc.message, route=route, reason=exc.reason)
        except STORE_ERRORS:
            return refusal(
                "TEMPORARILY_UNAVAILABLE", KEY_STORE_DOWN, route=route, reason="store_unavailable"
            )
        return Decision(
            route, prefix, path, raw_path[len(prefix) :], strip_query_key(query), key, ambient
        )

    def _not_found(self, scope: Scope, mount: str | None) -> Refusal:
        """No route: the message says whether the tracking URI or the call is wrong."""
        family = mount is not None and self.routes.knows_family(scope["path"][len(mount) :])
        message = hints.not_found(scope, mount, family, self.mlflow_version)
        return refusal("ENDPOINT_NOT_FOUND", message, route=UNMATCHED)


def _here(raw_path: str, query: str) -> str:
    """Where the browser was going (the fragment is added by the sign-in page)."""
    query = strip_query_key(query)
    return raw_path + ("?" + query if query else "")


def _wrong_method(path: str, method: str, allowed_methods: frozenset[str]) -> Refusal:
    allowed = ", ".join(sorted(allowed_methods))
    message = WRONG_METHOD.format(path=path, method=method, allowed=allowed)
    allow = ((b"allow", allowed.encode()),)
    return refusal("ENDPOINT_NOT_FOUND", message, status=405, route=UNMATCHED, headers=allow)
