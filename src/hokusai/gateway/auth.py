"""Find the caller's API key in a request and check it against the key store.

Accepted, in this order of preference: ``Authorization: Bearer <key>``,
``Authorization: ApiKey <key>``, ``X-API-Key: <key>`` and, as a fallback,
``?api_key=<key>``. Several of them may be sent at once (the MLflow client sends
``X-API-Key`` from the Hokusai plugin *and* ``Bearer`` from ``MLFLOW_TRACKING_TOKEN``)
as long as they carry the same key.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl

from hokusai.gateway.keys import ApiKey, KeyStore

MAX_KEY_LENGTH = 256
SCHEMES = ("bearer", "apikey")

MISSING = (
    "API key required: send it as 'X-API-Key: <key>' or 'Authorization: Bearer <key>'. "
    "With the SDK or the mlflow client, set HOKUSAI_API_KEY (create a key with "
    "`hokusai keys create`)."
)
UNKNOWN = "API key not recognised: check HOKUSAI_API_KEY, or create a key with `hokusai keys create`."
REVOKED = "API key {id} has been revoked: create a new one with `hokusai keys create`."
EXPIRED = "API key {id} expired at {when}: create a new one with `hokusai keys create`."
CONFLICT = "Conflicting credentials: the request carries more than one different API key."
SCOPE = (
    "API key {id} lacks the '{scope}' scope needed for {method} {path}; its scopes are: "
    "{scopes}. Create a key with `hokusai keys create --scope {scope}`."
)


class CredentialError(Exception):
    """A request's credentials were rejected; carries the MLflow error code to answer."""

    def __init__(self, error_code: str, message: str) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.message = message


@dataclass(frozen=True)
class Credential:
    secret: str
    source: str  # "authorization", "x-api-key" or "query"


def _parse_authorization(value: str) -> str:
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() not in SCHEMES:
        raise CredentialError(
            "UNAUTHENTICATED",
            f"Unsupported Authorization scheme {scheme[:20]!r}: use "
            "'Authorization: Bearer <key>' or 'Authorization: ApiKey <key>'.",
        )
    return token.strip()


def _checked(secret: str, where: str) -> str:
    if not secret:
        raise CredentialError("UNAUTHENTICATED", f"Empty API key in {where}. " + MISSING)
    if len(secret) > MAX_KEY_LENGTH or not secret.isascii() or not secret.isprintable():
        raise CredentialError(
            "INVALID_PARAMETER_VALUE",
            f"Malformed API key in {where}: keys are printable ASCII of at most "
            f"{MAX_KEY_LENGTH} characters, like hk_live_<32 letters and digits>.",
        )
    return secret


def find_credentials(
    headers: list[tuple[bytes, bytes]], query_string: bytes, allow_query: bool
) -> Credential | None:
    """The one API key the request carries, or ``None``; raises on conflicts/malformed."""
    found: list[Credential] = []
    for raw_name, raw_value in headers:
        name = raw_name.lower()
        if name not in (b"authorization", b"x-api-key"):
            continue
        value = raw_value.decode("latin-1")
        if name == b"authorization":
            found.append(Credential(_checked(_parse_authorization(value), "Authorization"), "authorization"))
        else:
            found.append(Credential(_checked(value.strip(), "X-API-Key"), "x-api-key"))
    if allow_query and b"api_key" in query_string:
        for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
            if name == "api_key":
                found.append(Credential(_checked(value, "the api_key query parameter"), "query"))
    if len({c.secret for c in found}) > 1:
        raise CredentialError("INVALID_PARAMETER_VALUE", CONFLICT)
    return found[0] if found else None


def authenticate(credential: Credential | None, store: KeyStore) -> ApiKey:
    """The valid stored key for ``credential``; raises :class:`CredentialError` otherwise."""
    if credential is None:
        raise CredentialError("UNAUTHENTICATED", MISSING)
    key = store.verify(credential.secret)
    if key is None:
        raise CredentialError("UNAUTHENTICATED", UNKNOWN)
    if key.is_revoked:
        raise CredentialError("UNAUTHENTICATED", REVOKED.format(id=key.id))
    if key.is_expired():
        raise CredentialError(
            "UNAUTHENTICATED", EXPIRED.format(id=key.id, when=key.expires_at.isoformat())
        )
    return key


def authorize(key: ApiKey, scope: str, method: str, path: str) -> None:
    if not key.allows(scope):
        raise CredentialError(
            "PERMISSION_DENIED",
            SCOPE.format(
                id=key.id, scope=scope, method=method, path=path, scopes=", ".join(sorted(key.scopes))
            ),
        )
