"""Browser sessions of the MLflow UI: a cookie standing for the API key a user signed in with.

Signing in (`signin`) with a key creates a row in the key store's database
(table ``ui_sessions``: the SHA-256 of the session token, the key's id, when it was
created and when it expires) and gives the browser the token in the cookie
``hokusai_session``: HttpOnly, ``SameSite=Lax``, ``Path=<mount>``, ``Max-Age`` the
session lifetime, Secure over HTTPS. The raw key is never in the cookie, the table or
a log; the raw token is only in the cookie.

`SessionAuthenticator` is the rules' second kind of credential (`credentials`): it
finds the cookie, reads the session and its key in one query (on SQLite through the key
store's cached lookup, re-read as soon as the database changed, so a revoked key or a
deleted session counts on the next request) and answers the key, with the key's own
checks (revoked, expired) and scopes. A browser sends the cookie by itself, even on a
request another site made it send: so the rules ask a same-origin proof (`same_origin`)
of every state-changing request a session authorises.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from hokusai.gateway.credentials import Credential, CredentialError, check_key
from hokusai.gateway.headers import SESSION_COOKIE as COOKIE
from hokusai.gateway.headers import Headers
from hokusai.gateway.keys import ApiKey, KeyStore, api_keys, from_row, from_sqlite
from hokusai.gateway.types import Scope

_COOKIE_BYTES = COOKIE.encode()
TOKEN = re.compile(r"[A-Za-z0-9_-]{43}\Z")  # secrets.token_urlsafe(32)

NOT_SIGNED_IN = (
    "Not signed in: open the registry's UI in the browser and sign in with an API key "
    "(create one with `hokusai keys create`)."
)
UNKNOWN_SESSION = (
    "Session not recognised (signed out, or the gateway's key store was reset): "
    "open the registry's UI and sign in again."
)
EXPIRED_SESSION = "Session expired at {when}: open the registry's UI and sign in again."
MALFORMED_SESSION = (
    f"Malformed {COOKIE} cookie: clear the registry's cookies in the browser and sign in again."
)
DUPLICATE_SESSION = (
    f"The browser sent {{count}} {COOKIE} cookies: signing in again replaces them; "
    "or clear the registry's cookies."
)
CROSS_SITE = (
    "Refused {method} {path}: a request authorised by the browser session must come from "
    "the registry's own pages (its Origin {origin!r} is not {expected!r}). API clients "
    "send an API key instead."
)

_metadata = sa.MetaData()
ui_sessions = sa.Table(
    "ui_sessions",
    _metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("key_id", sa.String(16), nullable=False, index=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
)
# The session and its key in one read; the third column is the digest looked up.
_SQLITE_FIND = (
    "SELECT s.expires_at, k.id, s.token_hash, k.name, k.display_prefix, k.scopes, "
    "k.created_at, k.expires_at, k.revoked_at FROM ui_sessions s "
    "JOIN api_keys k ON k.id = s.key_id WHERE s.token_hash = ?"
)


@dataclass(frozen=True, slots=True)
class Session:
    """A stored session: the key it stands for and when it ends."""

    key: ApiKey
    expires_at: datetime
    # The end as a Unix time: compared with time.time() on every request, a fraction of
    # the cost of building an aware datetime.
    ends: float = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ends", self.expires_at.timestamp())

    def is_expired(self) -> bool:
        return time.time() >= self.ends


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _from_sqlite(row: tuple) -> Session:
    expires, key_id, token_hash, name, prefix, scopes, created, key_expires, revoked = row
    key = from_sqlite((key_id, name, token_hash, prefix, scopes, created, key_expires, revoked))
    return Session(key, _aware(datetime.fromisoformat(expires)))


def token_digest(token: str) -> str:
    """What the table stores for a session token (256-bit random: a fast hash is right)."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


class SessionStore:
    """Create, find and delete UI sessions, in the key store's database."""

    def __init__(self, keys: KeyStore, lifetime: int) -> None:
        self.keys = keys
        self.lifetime = timedelta(seconds=lifetime)
        self._found: dict[str, tuple[bytes, Session]] = {}
        try:
            _metadata.create_all(keys.engine)
        except sa.exc.DBAPIError:  # several workers creating it at once: see KeyStore
            _metadata.create_all(keys.engine)

    def create(self, key: ApiKey) -> tuple[str, datetime]:
        """A new session for ``key``: its token (for the cookie only) and its end.
        Sessions that have ended are deleted on the way."""
        token = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        expires = now + self.lifetime
        with self.keys.engine.begin() as conn:
            conn.execute(ui_sessions.delete().where(ui_sessions.c.expires_at < now))
            conn.execute(
                ui_sessions.insert().values(
                    token_hash=token_digest(token),
                    key_id=key.id,
                    created_at=now,
                    expires_at=expires,
                )
            )
        return token, expires

    def find(self, token: str) -> Session | None:
        """The session of ``token`` with its key as stored now (revoked or not), or ``None``."""
        digest = token_digest(token)
        if self.keys.has_sqlite_file:
            return self.keys.cached_lookup(self._found, _SQLITE_FIND, digest, _from_sqlite)
        query = (
            sa.select(ui_sessions.c.expires_at.label("session_expires_at"), api_keys)
            .join(api_keys, api_keys.c.id == ui_sessions.c.key_id)
            .where(ui_sessions.c.token_hash == digest)
        )
        with self.keys.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        return Session(from_row(row), _aware(row.session_expires_at))

    def delete(self, token: str) -> None:
        """End the session of ``token`` (nothing happens for an unknown token)."""
        with self.keys.engine.begin() as conn:
            conn.execute(
                ui_sessions.delete().where(ui_sessions.c.token_hash == token_digest(token))
            )


def cookie_values(headers: Headers, name: bytes = _COOKIE_BYTES) -> list[str]:
    """Every value of cookie ``name`` in the request's ``Cookie`` headers."""
    found = []
    for header, value in headers:
        if header.lower() == b"cookie" and name in value:
            for pair in value.split(b";"):
                key, eq, val = pair.strip().partition(b"=")
                if eq and key == name:
                    found.append(val.decode("latin-1"))
    return found


def not_signed_in() -> CredentialError:
    """A request for the UI without an API key or a session cookie: a browser that has
    not signed in yet, counted apart from API clients without a key (``signin_required``,
    which the auth-failure alert does not count)."""
    return CredentialError("UNAUTHENTICATED", NOT_SIGNED_IN, "signin_required")


def _session_error(message: str, reason: str) -> CredentialError:
    return CredentialError("UNAUTHENTICATED", message, reason)


class SessionAuthenticator:
    """The ``hokusai_session`` cookie, checked against the session table and the key.

    ``ambient``: a browser sends this credential by itself, so state-changing requests
    it authorises need a same-origin proof (the rules check `same_origin`).
    """

    ambient = True

    def __init__(self, sessions: SessionStore) -> None:
        self.sessions = sessions

    async def authenticate(self, headers: Headers, query: str) -> ApiKey | None:
        """See `credentials.Authenticator.authenticate`."""
        values = cookie_values(headers)
        if not values:
            return None
        if len(values) > 1:
            message = DUPLICATE_SESSION.format(count=len(values))
            raise _session_error(message, "session_duplicate")
        token = values[0]
        if not TOKEN.match(token):
            raise _session_error(MALFORMED_SESSION, "session_malformed")
        if self.sessions.keys.is_local:
            found = self.sessions.find(token)
        else:
            found = await asyncio.to_thread(self.sessions.find, token)
        if found is None:
            raise _session_error(UNKNOWN_SESSION, "session_unknown")
        if found.is_expired():
            when = found.expires_at.isoformat(timespec="seconds")
            raise _session_error(EXPIRED_SESSION.format(when=when), "session_expired")
        return check_key(found.key, Credential("", COOKIE))


def own_origin(scope: Scope) -> str:
    """``scheme://host[:port]`` of the request as the browser addressed it."""
    host = next((v for k, v in scope["headers"] if k.lower() == b"host"), b"")
    return f"{scope.get('scheme', 'http')}://{host.decode('latin-1').lower()}"


def request_origin(headers: Headers) -> str | None:
    """The request's ``Origin``, else the origin of its ``Referer``, else ``None``."""
    origin = referer = None
    for name, value in headers:
        lowered = name.lower()
        if lowered == b"origin":
            origin = value.decode("latin-1")
        elif lowered == b"referer":
            referer = value.decode("latin-1")
    if origin is not None:
        return origin.lower()
    if referer is not None:
        scheme, sep, rest = referer.partition("://")
        return f"{scheme}{sep}{rest.split('/', 1)[0]}".lower() if sep else referer
    return None


def same_origin(scope: Scope) -> CredentialError | None:
    """``None`` when the request's Origin (or Referer) is the request's own origin; else
    the ``PERMISSION_DENIED`` to answer (no Origin or Referer at all is refused too)."""
    expected = own_origin(scope)
    origin = request_origin(scope["headers"])
    if origin == expected:
        return None
    message = CROSS_SITE.format(
        method=scope["method"], path=scope["path"], origin=origin or "", expected=expected
    )
    return CredentialError("PERMISSION_DENIED", message, "cross_site")


def set_cookie(
    name: str, value: str, path: str, max_age: int, secure: bool, same_site: str = "Lax"
) -> tuple[bytes, bytes]:
    """A ``Set-Cookie`` header: HttpOnly, SameSite, Path and Max-Age always, Secure if asked.

    Examples:
        >>> set_cookie("hokusai_session", "t", "/api/mlflow", 60, True)[1]
        b'hokusai_session=t; Path=/api/mlflow; Max-Age=60; HttpOnly; SameSite=Lax; Secure'
    """
    cookie = (
        f"{name}={value}; Path={path or '/'}; Max-Age={max_age}; HttpOnly; SameSite={same_site}"
    )
    return b"set-cookie", (cookie + ("; Secure" if secure else "")).encode("latin-1")
