"""What of a client's request MLflow gets to see: the one header policy of the gateway.

Both ways of running the gateway apply it (the rules core rewrites each request with
`HeaderPolicy.for_mlflow` before the wrapped app sees it; the proxy's wire format
then removes what must not cross a second connection):

- **credentials** never reach MLflow: the ``Authorization`` and ``X-API-Key`` headers
  (`CREDENTIAL_HEADERS`) and the ``api_key`` query parameter
  (`strip_query_key`, also applied to what is logged);
- **the gateway's own headers** (`own_headers`: ``identity_header``, the key's
  id, and ``request_id_header``) are set by the gateway; a client's copies are
  removed, and listing them in ``Connection`` does not make the proxy drop them;
- **the operator's lists** from the settings: ``remove_headers`` never pass;
  ``forward_headers``, when set, are the only client headers that pass, besides the body's
  (`BODY_HEADERS`), ``Host`` and the hop-by-hop ones;
- **the gateway's cookies** (`OWN_COOKIES`: the UI session and its sign-in form's
  CSRF token) are removed from ``Cookie``; a request the UI session authenticated
  also loses its ``Origin``, which the rules have checked already (MLflow's own
  cross-origin check knows only its own address, not the gateway's);
- **hop-by-hop headers** (`HOP_BY_HOP`, RFC 9110 §7.6.1) describe one connection:
  the proxy drops them when it opens its own connection to MLflow
  (`wire`); in-process, MLflow sits on the client's connection
  and sees them as uvicorn passed them.

The names below are lower-case bytes; a request's header names are lowercased before
they are compared, whatever case the client or the server used.

Examples:
    >>> strip_query_key("run_id=1&api_key=hk_test_x&max=2")
    'run_id=1&max=2'
    >>> query_keys("run_id=1&api%5Fkey=hk_test_x")
    ['hk_test_x']
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from random import getrandbits
from urllib.parse import unquote

from hokusai.auth import API_KEY_HEADER  # the SDK sends it; this is its one spelling
from hokusai.gateway.keys import KEY_PREFIXES
from hokusai.gateway.settings import GatewaySettings

SESSION_COOKIE = "hokusai_session"  # the UI session (`sessions`)
CSRF_COOKIE = "hokusai_csrf"  # the sign-in form's double-submit token (`signin`)
# The gateway's own cookies: MLflow never sees them.
OWN_COOKIES = tuple(f"{name}=".encode() for name in (SESSION_COOKIE, CSRF_COOKIE))

Headers = list[tuple[bytes, bytes]]

# The request headers that may carry a key, lower-case -> as named in messages.
CREDENTIAL_HEADERS = {
    b"authorization": "Authorization",
    API_KEY_HEADER.lower().encode(): API_KEY_HEADER,
}
QUERY_KEY = "api_key"
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)
# Passed on even when `forward_headers` restricts the rest: the body needs them.
BODY_HEADERS = frozenset(
    {
        b"content-type",
        b"content-length",
        b"content-encoding",
        b"content-range",
        b"range",
        b"accept",
        b"accept-encoding",
    }
)
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}\Z")
# A key sent as the request id would be echoed, logged and forwarded: never taken as one.
_KEY_SHAPED = tuple(KEY_PREFIXES.values())


def own_headers(settings: GatewaySettings) -> frozenset[bytes]:
    """The headers the gateway sets itself: the key's id and the request id."""
    return frozenset(
        {settings.identity_header.lower().encode(), settings.request_id_header.lower().encode()}
    )


class HeaderPolicy:
    """The settings' header names and lists, ready for one request after another."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.identity = settings.identity_header.lower().encode()
        self.request_id_header = settings.request_id_header.lower().encode()
        self._drop = (
            frozenset(CREDENTIAL_HEADERS)
            | own_headers(settings)
            | {h.encode() for h in settings.remove_headers}
        )
        self._allow = (
            frozenset(h.encode() for h in settings.forward_headers)
            | BODY_HEADERS
            | HOP_BY_HOP
            | {b"host"}
            if settings.forward_headers
            else None
        )

    def request_id(self, headers: Iterable[tuple[bytes, bytes]]) -> str:
        """The client's request id when well-formed (and not shaped like a key), else a
        new one (32 hex digits).

        Examples:
            >>> policy = HeaderPolicy(GatewaySettings.model_construct())  # the defaults
            >>> policy.request_id([(b"x-request-id", b"client-42")])
            'client-42'
            >>> len(policy.request_id([(b"x-request-id", b"not one")]))
            32
            >>> policy.request_id([(b"x-request-id", b"hk_live_abc")]) != "hk_live_abc"
            True
        """
        wanted = self.request_id_header
        for name, value in headers:
            if name.lower() == wanted:
                candidate = value.decode("latin-1")
                if _REQUEST_ID.match(candidate) and not candidate.startswith(_KEY_SHAPED):
                    return candidate
        # 128 random bits, like uuid4().hex, without its getrandom() system call and UUID
        # object (request ids need to be unique, not secret).
        return f"{getrandbits(128):032x}"

    def for_mlflow(
        self, headers: Headers, key_id: str, request_id: str, ambient: bool = False
    ) -> Headers:
        """The request headers as MLflow may see them, the gateway's own added last;
        ``ambient``: the UI session authenticated the request (its ``Origin`` goes too).

        Examples:
            >>> policy = HeaderPolicy(GatewaySettings.model_construct())  # the defaults
            >>> policy.for_mlflow(
            ...     [(b"x-api-key", b"hk_test_x"), (b"accept", b"*/*"), (b"x-hokusai-key-id", b"forged")],
            ...     "key_1", "req-1",
            ... )
            [(b'accept', b'*/*'), (b'x-hokusai-key-id', b'key_1'), (b'x-request-id', b'req-1')]
        """
        if ambient or has_cookie(headers):
            headers = without_session(headers, ambient)
        drop, allow = self._drop, self._allow
        if allow is None:
            kept = [h for h in headers if h[0].lower() not in drop]
        else:
            kept = [h for h in headers if (name := h[0].lower()) not in drop and name in allow]
        kept.append((self.identity, key_id.encode()))
        kept.append((self.request_id_header, request_id.encode()))
        return kept


def has_cookie(headers: Headers) -> bool:
    """True when the request has a ``Cookie`` header (ASGI servers lowercase the names)."""
    # not any(…): a generator costs 4x as much, on every forwarded request
    for name, _ in headers:  # noqa: SIM110
        if name == b"cookie":
            return True
    return False


def without_session(headers: Headers, drop_origin: bool) -> Headers:
    """``headers`` without the gateway's cookies (``hokusai_*``) and, if ``drop_origin``,
    without ``Origin``: what MLflow sees of a browser's request."""
    kept = []
    for name, value in headers:
        lowered = name.lower()
        if lowered == b"cookie":
            pairs = [p for p in value.split(b";") if not p.strip().startswith(OWN_COOKIES)]
            if pairs:
                kept.append((name, b";".join(pairs).strip()))
        elif not (drop_origin and lowered == b"origin"):
            kept.append((name, value))
    return kept


def _names_key(pair: str) -> bool:
    name = pair.split("=", 1)[0]
    return name == QUERY_KEY or unquote(name.replace("+", " ")) == QUERY_KEY


def strip_query_key(query: str) -> str:
    """The query string without any ``api_key`` parameter; the rest is kept byte for byte."""
    if not query or ("api" not in query.lower() and "%" not in query):
        return query
    return "&".join(pair for pair in query.split("&") if not _names_key(pair))


def query_keys(query: str) -> list[str]:
    """The decoded values of every ``api_key`` parameter in ``query``."""
    if not query or ("api" not in query.lower() and "%" not in query):
        return []
    return [
        unquote(pair.partition("=")[2].replace("+", " "))
        for pair in query.split("&")
        if _names_key(pair)
    ]
