"""The sign-in and sign-out pages of the MLflow UI, under every mount.

- A browser that opens a UI page (``<mount>/``, so also the run links MLflow prints,
  ``<mount>/#/experiments/…``) without a valid session gets the sign-in page *at that
  URL* (status 401), so the address bar keeps the link, fragment included; the form
  posts the key to ``<mount>/signin`` with the path to return to (a small script adds
  the fragment, which browsers never send).
- ``POST <mount>/signin`` checks a same-origin proof (the request's Origin, or
  Referer, is its own origin; and the form's ``csrf`` field equals the
  ``hokusai_csrf`` cookie the page set: a double submit), then the key (known, not
  revoked or expired, with the ``read`` scope), creates a session (`sessions`) and
  answers ``303`` to the path asked for: a path under the same mount, never another
  site (anything else returns to ``<mount>/``).
- ``GET <mount>/signout`` shows a sign-out button; ``POST <mount>/signout`` (same
  proofs) deletes the session and clears the cookie.
- ``GET /api/mlflow`` (a mount without its slash) redirects to ``/api/mlflow/``, where
  the UI's relative links resolve.

Every answer is counted and logged by the rules core like any other (route
``/signin`` or ``/signout``); a failed sign-in counts its reason in
``hokusai_gateway_auth_failures_total``. The key typed in is never logged or echoed.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import Any, TypeVar
from urllib.parse import parse_qs, quote

from hokusai.gateway.credentials import (
    Credential,
    CredentialError,
    authorize,
    check_key,
    checked_secret,
)
from hokusai.gateway.headers import CSRF_COOKIE
from hokusai.gateway.keys import KeyStore
from hokusai.gateway.paths import MOUNT_PREFIXES
from hokusai.gateway.responses import STATUS_FOR_CODE, FailureLabel, Refusal
from hokusai.gateway.sessions import (
    COOKIE,
    TOKEN,
    SessionStore,
    cookie_values,
    same_origin,
    set_cookie,
)
from hokusai.gateway.settings import GatewaySettings
from hokusai.gateway.types import Receive, Scope, Send

T = TypeVar("T")
SIGNIN, SIGNOUT = "/signin", "/signout"
MAX_FORM_BYTES = 4096
_SAFE_NEXT = re.compile(r"/[\x21-\x7e]{0,2047}\Z")
_BARE_MOUNTS = frozenset(p for p in MOUNT_PREFIXES if p)

BAD_FORM = "The sign-in form was not sent as the page sends it: reload the page and sign in."
TOO_LARGE = f"The form is larger than {MAX_FORM_BYTES} bytes: paste only the API key."
NO_PROOF = (
    "This form must be sent from the registry's own page (same origin, with the page's "
    "form token): reload the page and try again."
)
SIGNED_OUT = "Signed out. Sign in again to browse the registry."
FORM_MESSAGES = {
    "empty": "Paste an API key into the field.",
    "unknown": (
        "API key not recognised: check the key you pasted, or create one with "
        "`hokusai keys create`."
    ),
}

_STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f5f6f8;color:#1b1f24}"
    "main{max-width:26rem;margin:12vh auto;background:#fff;padding:2rem;border-radius:8px;"
    "box-shadow:0 1px 4px #0002}h1{font-size:1.4rem;margin-top:0}label{display:block;"
    "font-weight:600;margin:1rem 0 .3rem}input[type=password]{width:100%;box-sizing:border-box;"
    "padding:.5rem;font:inherit;border:1px solid #8a94a0;border-radius:4px}"
    "button{margin-top:1rem;padding:.5rem 1.2rem;font:inherit;border:0;border-radius:4px;"
    "background:#0b5cad;color:#fff;cursor:pointer}button:focus,input:focus{outline:3px solid #f2b600}"
    ".error{background:#fdecea;border-left:4px solid #b3261e;padding:.5rem .8rem}"
    ".note{background:#e8f1fb;border-left:4px solid #0b5cad;padding:.5rem .8rem}"
    "code{background:#eef0f3;padding:0 .2rem;border-radius:3px}"
)
# Adds the URL's fragment (#/experiments/…), which the browser never sends, to the
# path the form returns to.
_SCRIPT = (
    'var n=document.getElementById("next");'
    'if(location.hash&&n.value.indexOf("#")<0){n.value+=location.hash;}'
)


def _csp_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


_CSP = (
    f"default-src 'none'; style-src {_csp_hash(_STYLE)}; script-src {_csp_hash(_SCRIPT)}; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
).encode()
_PAGE_HEADERS = (
    (b"content-type", b"text/html; charset=utf-8"),
    (b"cache-control", b"no-store"),
    (b"content-security-policy", _CSP),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
)


@dataclass(frozen=True, slots=True)
class PageRefusal(Refusal):
    """A refusal a browser reads: an HTML page (the sign-in form) instead of JSON."""

    page: bytes = b""

    async def send(self, send: Send) -> None:
        """Answer with the page."""
        headers = [*_PAGE_HEADERS, (b"content-length", str(len(self.page)).encode())]
        await send(
            {
                "type": "http.response.start",
                "status": self.status,
                "headers": [*headers, *self.headers],
            }
        )
        await send({"type": "http.response.body", "body": self.page})


def _render(title: str, body: str) -> bytes:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{title} · Hokusai registry</title><style>{_STYLE}</style></head>"
        f"<body><main><h1>{title}</h1>{body}</main><script>{_SCRIPT}</script></body></html>"
    ).encode()


def _notice(message: str | None, kind: str) -> str:
    if not message:
        return ""
    role = ' role="alert"' if kind == "error" else ' role="status"'
    return f'<p id="notice" class="{kind}"{role}>{escape(message)}</p>'


def cookie_path(mount: str) -> str:
    """The cookies' ``Path``: the mount, or ``/`` for the root."""
    return mount or "/"


def safe_next(mount: str, candidate: str | None) -> str:
    """``candidate`` when it is a path under ``mount`` (printable ASCII, no ``//`` or
    backslash to make it another host), else ``<mount>/``: never another site.

    Examples:
        >>> safe_next("/api/mlflow", "/api/mlflow/#/experiments/1")
        '/api/mlflow/#/experiments/1'
        >>> safe_next("/api/mlflow", "//evil.example/")
        '/api/mlflow/'
        >>> safe_next("", "https://evil.example/")
        '/'
    """
    home = mount + "/"
    if (
        candidate
        and _SAFE_NEXT.match(candidate)
        and candidate.startswith(home)
        and not candidate.startswith("//")
        and "\\" not in candidate
    ):
        return candidate
    return home


class SignIn:
    """The sign-in and sign-out endpoints, and the sign-in page the rules answer with."""

    def __init__(self, keys: KeyStore, sessions: SessionStore, settings: GatewaySettings) -> None:
        self.keys = keys
        self.sessions = sessions
        self.secure_always = settings.secure_cookies
        self.lifetime = settings.session_lifetime

    @staticmethod
    def endpoint(path: str) -> tuple[str, str] | None:
        """(mount, ``/signin`` or ``/signout`` or ``""``) for this gateway's own UI paths."""
        if path in _BARE_MOUNTS:
            return path, ""
        if not path.endswith((SIGNIN, SIGNOUT)):  # every other request: one check
            return None
        for name in (SIGNIN, SIGNOUT):
            if path.endswith(name):
                mount = path[: -len(name)]
                if mount in MOUNT_PREFIXES:
                    return mount, name
        return None

    async def _store(self, call: Callable[[Any], T], argument: Any) -> T:
        """``call(argument)``: inline on SQLite (a local write of a few ms at sign-in),
        in a worker thread on Postgres, as the rules read keys."""
        if self.keys.is_local:
            return call(argument)
        return await asyncio.to_thread(call, argument)

    def _secure(self, scope: Scope) -> bool:
        return self.secure_always or scope.get("scheme") == "https"

    def _csrf(self, scope: Scope, mount: str) -> tuple[str, list[tuple[bytes, bytes]]]:
        """The form token: the browser's ``hokusai_csrf`` cookie, or a new one to set."""
        known = cookie_values(scope["headers"], CSRF_COOKIE.encode())
        if len(known) == 1 and TOKEN.match(known[0]):
            return known[0], []
        token = secrets.token_urlsafe(32)
        cookie = set_cookie(
            CSRF_COOKIE, token, cookie_path(mount), self.lifetime, self._secure(scope), "Strict"
        )
        return token, [cookie]

    def page(
        self,
        scope: Scope,
        mount: str,
        next_url: str,
        error: CredentialError | None = None,
        notice: str | None = None,
        route: str = SIGNIN,
    ) -> PageRefusal:
        """The sign-in page, returning to ``next_url``; with ``error``'s message, status
        and reason when a credential was refused."""
        token, cookies = self._csrf(scope, mount)
        # A first visit is no error to show; an expired or revoked session is.
        shown = error.message if error is not None and error.reason != "signin_required" else None
        body = (
            "<p>Paste an API key to browse this registry's MLflow UI. The key stays on the "
            "server; the browser keeps only a session cookie.</p>"
            + _notice(shown, "error")
            + _notice(notice, "note")
            + f'<form method="post" action="{escape(mount)}{SIGNIN}">'
            '<label for="api_key">API key</label>'
            '<input id="api_key" name="api_key" type="password" autocomplete="off" '
            'spellcheck="false" required autofocus aria-describedby="hint">'
            '<p id="hint">A key from <code>hokusai keys create</code>, like '
            "<code>hk_live_…</code>. A read key browses; writing needs the write scope.</p>"
            f'<input type="hidden" name="csrf" value="{token}">'
            f'<input type="hidden" id="next" name="next" value="{escape(next_url)}">'
            '<button type="submit">Sign in</button></form>'
        )
        page = _render("Sign in", body)
        if error is None:
            return PageRefusal(
                "", "sign-in page", 200, route=route, headers=tuple(cookies), page=page
            )
        return PageRefusal(
            error.error_code,
            error.message,
            STATUS_FOR_CODE[error.error_code],
            route=route,
            failure=FailureLabel("auth", error.reason),
            headers=tuple(cookies),
            page=page,
        )

    def _signout_page(self, scope: Scope, mount: str) -> PageRefusal:
        token, cookies = self._csrf(scope, mount)
        body = (
            f'<form method="post" action="{escape(mount)}{SIGNOUT}">'
            "<p>End this browser's session with the registry?</p>"
            f'<input type="hidden" name="csrf" value="{token}">'
            f'<input type="hidden" id="next" name="next" value="{escape(mount)}/">'
            '<button type="submit">Sign out</button></form>'
        )
        page = _render("Sign out", body)
        return PageRefusal(
            "", "sign-out page", 200, route=SIGNOUT, headers=tuple(cookies), page=page
        )

    async def handle(
        self, scope: Scope, receive: Receive, send: Send, mount: str, name: str
    ) -> Refusal | str:
        """Answer a request for ``<mount><name>``: a refusal (or page) for the core to
        send, or the key id signed in or out after answering with a redirect."""
        method = scope["method"]
        if name == "":
            if method not in ("GET", "HEAD"):
                return _no_method(mount + "/", "GET", "/")
            query = scope.get("query_string", b"").decode("latin-1")
            await _redirect(send, mount + "/" + ("?" + query if query else ""), 308)
            return ""
        if method in ("GET", "HEAD"):
            if name == SIGNOUT:
                return self._signout_page(scope, mount)
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            notice = SIGNED_OUT if "signed_out" in query else None
            return self.page(
                scope, mount, safe_next(mount, query.get("next", [""])[0]), None, notice
            )
        if method != "POST":
            return _no_method(mount + name, "GET, POST", name)
        form = await _read_form(scope, receive)
        if isinstance(form, CredentialError):
            return self.page(scope, mount, mount + "/", form, route=name)
        next_url = safe_next(mount, form.get("next"))
        proof = self._proof(scope, form)
        if proof is not None:
            return self.page(scope, mount, next_url, proof, route=name)
        if name == SIGNOUT:
            return await self._sign_out(scope, send, mount)
        try:
            where = "the API key field"
            secret = checked_secret(form.get("api_key", "").strip(), where)
            key = check_key(await self._store(self.keys.verify, secret), Credential(secret, where))
            authorize(key, "read", "GET", mount + "/")
        except CredentialError as exc:
            if exc.reason in FORM_MESSAGES:  # what to check is the field, not a variable
                exc = CredentialError(exc.error_code, FORM_MESSAGES[exc.reason], exc.reason)
            return self.page(scope, mount, next_url, exc)
        token, _expires = await self._store(self.sessions.create, key)
        path, secure = cookie_path(mount), self._secure(scope)
        cookies = [set_cookie(COOKIE, token, path, self.lifetime, secure)]
        # One session per browser: a session cookie of another mount is cleared.
        cookies += [
            set_cookie(COOKIE, "", cookie_path(m), 0, secure) for m in MOUNT_PREFIXES if m != mount
        ]
        await _redirect(send, next_url, 303, cookies)
        return key.id

    def _proof(self, scope: Scope, form: dict[str, str]) -> CredentialError | None:
        cross = same_origin(scope)
        if cross is not None:
            return cross
        cookie = cookie_values(scope["headers"], CSRF_COOKIE.encode())
        sent = form.get("csrf", "")
        if len(cookie) != 1 or not TOKEN.match(sent) or not hmac.compare_digest(cookie[0], sent):
            return CredentialError("PERMISSION_DENIED", NO_PROOF, "cross_site")
        return None

    async def _sign_out(self, scope: Scope, send: Send, mount: str) -> str:
        for token in cookie_values(scope["headers"]):
            if TOKEN.match(token):
                await self._store(self.sessions.delete, token)
        cookie = set_cookie(COOKIE, "", cookie_path(mount), 0, self._secure(scope))
        await _redirect(send, f"{mount}{SIGNIN}?signed_out=1", 303, [cookie])
        return ""


def _no_method(path: str, allowed: str, route: str) -> Refusal:
    message = f"{path} accepts {allowed} only."
    allow = ((b"allow", allowed.encode()),)
    return Refusal("ENDPOINT_NOT_FOUND", message, 405, route=route, headers=allow)


async def _redirect(
    send: Send, location: str, status: int, cookies: list[tuple[bytes, bytes]] | None = None
) -> None:
    headers = [
        (b"location", quote(location, safe="/#?&=%:@!$'()*+,;~-._").encode("ascii")),
        (b"content-length", b"0"),
        (b"cache-control", b"no-store"),
        *(cookies or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


async def _read_form(scope: Scope, receive: Receive) -> dict[str, str] | CredentialError:
    """The urlencoded form, each field once; or the error to show."""
    content_type = next((v for k, v in scope["headers"] if k.lower() == b"content-type"), b"")
    if not content_type.lower().startswith(b"application/x-www-form-urlencoded"):
        return CredentialError("INVALID_PARAMETER_VALUE", BAD_FORM, "malformed")
    body = bytearray()
    while True:
        message = await receive()
        body += message.get("body", b"")
        if len(body) > MAX_FORM_BYTES:
            return CredentialError("INVALID_PARAMETER_VALUE", TOO_LARGE, "malformed")
        if not message.get("more_body"):
            break
    try:
        fields = parse_qs(body.decode("ascii"), keep_blank_values=True, max_num_fields=8)
    except (UnicodeDecodeError, ValueError):
        return CredentialError("INVALID_PARAMETER_VALUE", BAD_FORM, "malformed")
    if any(len(values) > 1 for values in fields.values()):
        return CredentialError("INVALID_PARAMETER_VALUE", BAD_FORM, "malformed")
    return {name: values[0] for name, values in fields.items()}
