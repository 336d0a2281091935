"""The credential step of the rules: who a request speaks for.

Each kind of credential the gateway accepts is an `Authenticator`; the rules
(`rules`) ask each in turn and the first that finds its kind of
credential in the request answers. There are two kinds: `ApiKeyCredentials`, asked
first, and the MLflow UI's browser session (`sessions.SessionAuthenticator`, a cookie
standing for the key the user signed in with).

API keys are accepted as ``Authorization: Bearer <key>``, ``Authorization: ApiKey
<key>``, ``X-API-Key: <key>`` and, as a fallback, ``?api_key=<key>``. Several of them
may be sent at once (the MLflow client sends ``X-API-Key`` from the Hokusai plugin *and*
``Bearer`` from ``MLFLOW_TRACKING_TOKEN``) as long as they carry the same key. The same
header twice, two different keys, an empty, oversized or non-ASCII key, or an
``Authorization`` scheme other than Bearer/ApiKey are refused with a message that
says what to send instead.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from typing import NamedTuple, Protocol

from hokusai.gateway import hints
from hokusai.gateway.headers import API_KEY_HEADER, CREDENTIAL_HEADERS, Headers, query_keys
from hokusai.gateway.keys import ApiKey, KeyStore

MAX_KEY_LENGTH = 256
SCHEMES = ("bearer", "apikey")
# Only a word that looks like a scheme (Basic, Digest, Token…) is echoed back: anything
# else may be the key itself, pasted without "Bearer ".
_SCHEME_NAME = re.compile(r"[A-Za-z][A-Za-z-]{0,19}")
_KEY_HEADER = API_KEY_HEADER.lower().encode()

MISSING = hints.MISSING["other"]
REVOKED = "API key {id} has been revoked: create a new one with `hokusai keys create`."
EXPIRED = "API key {id} expired at {when}: create a new one with `hokusai keys create`."
CONFLICT = (
    "Conflicting credentials: the request carries {count} different API keys ({sources}); "
    "send one key (check HOKUSAI_API_KEY and MLFLOW_TRACKING_TOKEN)."
)
DUPLICATE = "The {where} credential was sent {count} times: send it once."
MALFORMED = (
    "Malformed API key in {where}: keys are printable ASCII without spaces, at most "
    f"{MAX_KEY_LENGTH} characters, like hk_live_<32 letters and digits>."
)
BAD_SCHEME = (
    "Unsupported Authorization scheme {scheme!r}: use 'Authorization: Bearer <key>', "
    f"'Authorization: ApiKey <key>' or '{API_KEY_HEADER}: <key>' (unset MLFLOW_TRACKING_USERNAME "
    "and MLFLOW_TRACKING_PASSWORD, which make the mlflow client send Basic)."
)
NO_SCHEME = (
    "Unsupported Authorization scheme: the value must be 'Bearer <key>' or 'ApiKey <key>' "
    f"(one space before the key); or send '{API_KEY_HEADER}: <key>'."
)
QUERY_DISABLED = (
    f"The api_key query parameter is disabled on this gateway: send '{API_KEY_HEADER}: <key>' "
    "or 'Authorization: Bearer <key>' instead."
)
SCOPE = (
    "API key {id} lacks the '{scope}' scope needed for {method} {path}; its scopes are: "
    "{scopes}. Create one with `hokusai keys create --name <name> --scope {scope}`."
)


class CredentialError(Exception):
    """A request's credentials were rejected: the MLflow error code, message and reason.

    ``reason`` is a short label for metrics (``missing``, ``malformed``, ``unknown``…).
    """

    def __init__(self, error_code: str, message: str, reason: str) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.message = message
        self.reason = reason


class Credential(NamedTuple):  # a tuple: built on every request, cheaper than a dataclass
    """A key found in a request and where it was found.

    ``found_in`` lists every (source, Authorization scheme) that carried this same key
    (one, unless the client sent it twice, e.g. ``X-API-Key`` and ``Bearer``).
    """

    secret: str
    source: str  # "Authorization", API_KEY_HEADER or "api_key"
    found_in: tuple[tuple[str, str], ...] = ()


def _malformed(where: str) -> CredentialError:
    return CredentialError("INVALID_PARAMETER_VALUE", MALFORMED.format(where=where), "malformed")


def checked_secret(secret: str, where: str) -> str:
    """``secret`` if it can be a key; else the `CredentialError` (empty, malformed) naming ``where``."""
    if not secret:
        raise CredentialError("UNAUTHENTICATED", f"Empty API key in {where}. " + MISSING, "empty")
    if (
        len(secret) > MAX_KEY_LENGTH
        or not secret.isascii()
        or not secret.isprintable()
        or " " in secret
    ):
        raise _malformed(where)
    return secret


def _from_header(name: bytes, raw: bytes) -> Credential:
    where = CREDENTIAL_HEADERS[name]
    if len(raw) > MAX_KEY_LENGTH + 16:
        raise _malformed(where)
    try:
        value = raw.decode("ascii").strip()
    except UnicodeDecodeError:
        raise _malformed(where) from None
    if name == _KEY_HEADER:
        return Credential(checked_secret(value, where), where, ((where, ""),))
    scheme, _, token = value.partition(" ")
    if scheme.lower() not in SCHEMES:
        if not scheme:
            raise CredentialError(
                "UNAUTHENTICATED", "Empty Authorization header. " + MISSING, "empty"
            )
        if not _SCHEME_NAME.fullmatch(scheme):
            raise CredentialError("UNAUTHENTICATED", NO_SCHEME, "scheme")
        raise CredentialError("UNAUTHENTICATED", BAD_SCHEME.format(scheme=scheme), "scheme")
    secret = checked_secret(token.strip(), f"Authorization: {scheme}")
    return Credential(secret, where, ((where, scheme),))


def find_credentials(headers: Headers, query: str, allow_query: bool) -> Credential | None:
    """The one API key the request carries, or ``None``.

    Raises `CredentialError` for malformed, duplicated or conflicting keys.
    """
    in_headers = [(name, raw) for name, raw in headers if name.lower() in CREDENTIAL_HEADERS]
    in_query = query_keys(query)
    if in_query and not allow_query:
        raise CredentialError("UNAUTHENTICATED", QUERY_DISABLED, "query_disabled")
    if len(in_headers) == 1 and not in_query:  # the usual case: nothing to compare
        return _from_header(in_headers[0][0].lower(), in_headers[0][1])
    found = [_from_header(name.lower(), raw) for name, raw in in_headers]
    found.extend(
        Credential(checked_secret(v, "the api_key query parameter"), "api_key", (("api_key", ""),))
        for v in in_query
    )
    if not found:
        return None
    sources = [c.source for c in found]
    for source in set(sources):
        if sources.count(source) > 1:
            raise CredentialError(
                "INVALID_PARAMETER_VALUE",
                DUPLICATE.format(where=source, count=sources.count(source)),
                "duplicate",
            )
    if len({c.secret for c in found}) > 1:
        raise CredentialError(
            "INVALID_PARAMETER_VALUE",
            CONFLICT.format(count=len({c.secret for c in found}), sources=", ".join(sources)),
            "conflict",
        )
    return Credential(found[0].secret, found[0].source, sum((c.found_in for c in found), ()))


def check_key(
    key: ApiKey | None, credential: Credential | None, headers: Sequence[tuple[bytes, bytes]] = ()
) -> ApiKey:
    """``key`` (the store's answer for ``credential``) if it may be used now.

    The client that sent ``headers`` (`hints.client_of`) decides which setting a
    refusal names; it is only looked up for a refusal.
    """
    if credential is None:
        raise missing(hints.client_of(headers))
    if key is None:
        client = hints.client_of(headers)
        names = [hints.named(source, scheme, client) for source, scheme in credential.found_in]
        raise CredentialError("UNAUTHENTICATED", hints.unknown_key(names), "unknown")
    if key.is_revoked:
        raise CredentialError("UNAUTHENTICATED", REVOKED.format(id=key.id), "revoked")
    if key.is_expired():
        when = key.expires_at.isoformat() if key.expires_at else "?"
        raise CredentialError("UNAUTHENTICATED", EXPIRED.format(id=key.id, when=when), "expired")
    return key


def authorize(key: ApiKey, scope: str, method: str, path: str) -> None:
    """Raise ``PERMISSION_DENIED`` naming the missing scope unless ``key`` has it."""
    if not key.allows(scope):
        raise CredentialError(
            "PERMISSION_DENIED",
            SCOPE.format(
                id=key.id,
                scope=scope,
                method=method,
                path=path,
                scopes=", ".join(sorted(key.scopes)),
            ),
            "scope",
        )


def missing(client: hints.Client = "other") -> CredentialError:
    """No authenticator found a credential in a request from ``client``
    (`hints.client_of`): the message names the setting that client reads."""
    return CredentialError("UNAUTHENTICATED", hints.MISSING[client], "missing")


class Authenticator(Protocol):
    """One kind of credential the gateway accepts.

    ``ambient`` is true for a credential the browser sends by itself (a cookie): the
    rules then ask a same-origin proof of every state-changing request it authorises.
    """

    ambient: bool

    async def authenticate(self, headers: Headers, query: str) -> ApiKey | None:
        """The key the request's credential of this kind stands for, checked (known,
        not revoked, not expired); ``None`` when the request carries none of this kind.

        Raises `CredentialError` for a credential that is there but not valid,
        and the key store's own errors when it cannot answer.
        """
        ...


class ApiKeyCredentials:
    """API keys in the request's headers or query, checked against the key store."""

    ambient = False

    def __init__(self, store: KeyStore, allow_query: bool) -> None:
        self.store = store
        self.allow_query = allow_query

    async def authenticate(self, headers: Headers, query: str) -> ApiKey | None:
        """See `Authenticator.authenticate`."""
        credential = find_credentials(headers, query, self.allow_query)
        if credential is None:
            return None
        if self.store.is_local:  # SQLite: a local read of a few µs, fine on the event loop
            found = self.store.verify(credential.secret)
        else:
            found = await asyncio.to_thread(self.store.verify, credential.secret)
        return check_key(found, credential, headers)
