"""The header-debug switch: per request, what the gateway saw and passed on, values redacted.

With ``HOKUSAI_GATEWAY_DEBUG_HEADERS=true`` the rules core writes one JSON line per
request on the ``hokusai.gateway.header_debug`` logger, e.g.::

    {"ts": "…", "level": "info", "logger": "hokusai.gateway.header_debug", "event": "headers",
     "request_id": "5f0c…", "method": "GET", "route": "/api/2.0/mlflow/runs/get",
     "status": 200, "credential": ["X-API-Key"],
     "received": ["host: <14 bytes>", "x-api-key: <40 bytes>"],
     "forwarded": ["host: <14 bytes>", "x-hokusai-key-id: <16 bytes>", "x-request-id: <32 bytes>"],
     "removed": ["x-api-key"]}

- ``credential``: where the request carried a key (``X-API-Key``, ``Authorization
  (Bearer)``, ``api_key query parameter``…), ``[]`` when nowhere;
- ``received``: the client's headers; ``forwarded``: the headers the header policy
  (`headers`) gives MLflow; ``removed``: what the client sent
  that MLflow did not get (both ``null`` when the request was refused). In proxy mode the
  connection to MLflow then carries MLflow's own ``Host`` and none of the hop-by-hop
  headers (`wire`).

No value is ever written: only its size. Header names a client sends are written as
sent, except a name that looks like it carries a key (longer than
`MAX_NAME_LENGTH`, or containing ``hk_``), written as ``<redacted name>``. The
line is written whatever the log level of ``hokusai gateway serve`` (the switch is the
request for it); where nothing handles the ``hokusai`` loggers (``hokusai local up``),
the lines go to standard output.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

from hokusai.gateway.headers import CREDENTIAL_HEADERS, Headers, query_keys

HEADER_DEBUG_LOGGER = "hokusai.gateway.header_debug"
logger = logging.getLogger(HEADER_DEBUG_LOGGER)
MAX_NAME_LENGTH = 64
# Authorization schemes named in the line; any other first word may be a key pasted
# without its scheme, so it is not written.
KNOWN_SCHEMES = {"bearer": "Bearer", "apikey": "ApiKey", "basic": "Basic", "digest": "Digest"}


def enable() -> None:
    """Let the lines through: INFO on the logger, and standard output when no handler
    of the ``hokusai`` loggers would write them."""
    from hokusai.gateway.access_log import JsonFormatter

    logger.setLevel(logging.INFO)
    if not logger.hasHandlers():
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)


def _name(raw: bytes) -> str:
    name = raw.decode("latin-1").lower()
    if len(name) > MAX_NAME_LENGTH or "hk_" in name:
        return "<redacted name>"
    return name


def redacted(headers: Iterable[tuple[bytes, bytes]]) -> list[str]:
    """``name: <size>`` for each header, in order; never a value.

    Examples:
        >>> redacted([(b"X-API-Key", b"hk_test_secret"), (b"hk_live_abc", b"1")])
        ['x-api-key: <14 bytes>', '<redacted name>: <1 bytes>']
    """
    return [f"{_name(name)}: <{len(value)} bytes>" for name, value in headers]


def credentials_seen(headers: Iterable[tuple[bytes, bytes]], query: str) -> list[str]:
    """Where the request carries a credential, by header (and Authorization scheme).

    Examples:
        >>> credentials_seen([(b"authorization", b"Bearer hk_test_x")], "api_key=hk_test_x")
        ['Authorization (Bearer)', 'api_key query parameter']
        >>> credentials_seen([(b"authorization", b"hk_test_pasted_without_scheme")], "")
        ['Authorization (unsupported scheme)']
    """
    seen = []
    for raw_name, value in headers:
        name = CREDENTIAL_HEADERS.get(raw_name.lower())
        if name is None:
            continue
        if name == "Authorization":
            word = value.split(b" ", 1)[0].decode("latin-1").lower()
            name += f" ({KNOWN_SCHEMES.get(word, 'unsupported scheme')})"
        seen.append(name)
    if query_keys(query):
        seen.append("api_key query parameter")
    return seen


def log_headers(
    *,
    request_id: str,
    method: str,
    route: str,
    status: int,
    received: Headers,
    query: str,
    forwarded: Headers | None,
) -> None:
    """Write the line for one request (see the module doc); ``query`` is the query
    string as the client sent it, read only for whether it carries a key."""
    removed = None
    if forwarded is not None:
        kept = {name.lower() for name, _ in forwarded}
        removed = sorted({_name(name) for name, _ in received if name.lower() not in kept})
    fields = {
        "event": "headers",
        "request_id": request_id,
        "method": method,
        "route": route,
        "status": status,
        "credential": credentials_seen(received, query),
        "received": redacted(received),
        "forwarded": None if forwarded is None else redacted(forwarded),
        "removed": removed,
    }
    logger.info("headers", extra={"fields": fields})
