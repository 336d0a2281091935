"""HTTP/1.1 on the wire to MLflow: the request head, chunk framing, the response headers.

Functions over bytes, without I/O, used by the proxy's upstream client
(`upstream`). A unit test reads what they produce with h11, an
HTTP parser of its own, so the bytes are checked independently of this code.

What a second connection must not carry is removed here: hop-by-hop headers (and the
ones ``Connection:`` names), ``Host`` (MLflow's own is written instead) and ``Expect``
(uvicorn has answered it already). Credentials are removed once more: nothing that
calls this module can put a key on the wire to MLflow.
"""

from __future__ import annotations

import base64
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

from hokusai.gateway.headers import CREDENTIAL_HEADERS, HOP_BY_HOP, Headers

REQUEST_DROP = HOP_BY_HOP | frozenset(CREDENTIAL_HEADERS) | {b"host", b"expect"}
# uvicorn adds its own Date and Server headers; MLflow's would be duplicates.
RESPONSE_DROP = HOP_BY_HOP | {b"date", b"server"}
# Methods sent without a Content-Length when they carry no body; the others get
# "Content-Length: 0", so MLflow never waits for a body.
BODYLESS_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "CONNECT", "TRACE"})
LAST_CHUNK = b"0\r\n\r\n"


class InvalidHeader(ValueError):
    """A header name or value that cannot be written on the wire (CR, LF)."""


@dataclass(frozen=True)
class Origin:
    """Where MLflow is: from ``mlflow_url``, which `
    GatewaySettings` has validated (an http or https URL with a host).

    Examples:
        >>> origin = Origin.from_url("http://user:pw@127.0.0.1:5001/prefix/")
        >>> origin.host, origin.port, origin.prefix
        ('127.0.0.1', 5001, b'/prefix')
        >>> origin.fixed_lines
        b'Host: 127.0.0.1:5001\\r\\nAuthorization: Basic dXNlcjpwdw==\\r\\n'
    """

    url: str  # without credentials and trailing slash, for messages
    host: str
    port: int
    ssl_context: ssl.SSLContext | None
    prefix: bytes  # the URL's path: every request target starts with it
    fixed_lines: bytes  # Host, and Basic auth when the URL has credentials
    fixed_line_count: int

    @classmethod
    def from_url(cls, url: str) -> Origin:
        parts = urlsplit(url.rstrip("/"))
        host = parts.hostname or ""
        netloc = f"[{host}]" if ":" in host else host
        if parts.port is not None:
            netloc += f":{parts.port}"
        lines = [b"Host: " + netloc.encode("idna") + b"\r\n"]
        if parts.username is not None:  # credentials in the URL: Basic auth
            user_pass = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            token = base64.b64encode(user_pass.encode("latin-1"))
            lines.append(b"Authorization: Basic " + token + b"\r\n")
        tls = parts.scheme == "https"
        return cls(
            url=f"{parts.scheme}://{netloc}{parts.path}",
            host=host,
            port=parts.port or (443 if tls else 80),
            ssl_context=ssl.create_default_context() if tls else None,
            prefix=parts.path.encode("latin-1"),
            fixed_lines=b"".join(lines),
            fixed_line_count=len(lines),
        )


class UpstreamRequest(NamedTuple):  # a tuple: made once per request, cheaply
    """A request as MLflow receives it: its head, and how its body (if any) follows."""

    method: str
    head: bytes
    body: bool  # the client announced a body (a non-zero length, or chunked)
    chunked: bool  # ... without a length: it goes with chunked framing


def request_head(
    origin: Origin,
    method: str,
    target: bytes,
    headers: Headers,
    keep: frozenset[bytes] = frozenset(),
) -> UpstreamRequest:
    """The request line and headers MLflow receives for ``method target`` with the
    client's ``headers``; ``target`` is the raw path and query. Headers named in
    ``keep`` are never dropped as hop-by-hop because ``Connection:`` lists them.

    Raises `InvalidHeader` if any name or value holds CR or LF (an ASGI server
    never passes those on; checked so no header can be smuggled upstream).

    Examples:
        >>> origin = Origin.from_url("http://127.0.0.1:5001")
        >>> request_head(origin, "POST", b"/api/x", [(b"transfer-encoding", b"chunked")])
        UpstreamRequest(method='POST', head=b'POST /api/x HTTP/1.1\\r\\nHost: 127.0.0.1:5001\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n', body=True, chunked=True)
    """
    line = b"%b %b%b HTTP/1.1\r\n" % (method.encode("latin-1"), origin.prefix, target)
    parts = [line, origin.fixed_lines]
    length, body, listed = _header_lines(headers, REQUEST_DROP, parts)
    if listed is not None and listed.lower() not in (b"keep-alive", b"close"):
        # Names listed in Connection: are hop-by-hop too (usually it says only
        # "keep-alive" or "close", which changes nothing): filter again without them.
        tokens = connection_tokens([(b"connection", listed)]) - REQUEST_DROP - keep
        tokens.discard(b"close")
        if tokens and any(name.lower() in tokens for name, _ in headers):
            del parts[2:]
            length, _, _ = _header_lines(headers, REQUEST_DROP | tokens, parts)
    # One CRLF ends the request line, each fixed line, each header (4 parts each)...
    lines = 1 + origin.fixed_line_count + (len(parts) - 2) // 4
    chunked = body and not length
    if chunked:
        parts.append(b"Transfer-Encoding: chunked\r\n")
        lines += 1
    elif not body and not length and method not in BODYLESS_METHODS:
        parts.append(b"Content-Length: 0\r\n")
        lines += 1
    parts.append(b"\r\n")
    head = b"".join(parts)
    # ... and the blank line; a CR or LF anywhere else would start a line of its own
    if head.count(b"\n") != lines + 1 or head.count(b"\r") != lines + 1:
        raise InvalidHeader("a line break in the request target or in a header")
    return UpstreamRequest(method, head, body, chunked)


def _header_lines(
    headers: Headers, drop: frozenset[bytes], parts: list[bytes]
) -> tuple[bool, bool, bytes | None]:
    """Append the header lines not in ``drop`` to ``parts``; returns whether one is
    Content-Length, whether a body is announced, and the value(s) of ``Connection:``."""
    length, body, listed = False, False, None
    for name, value in headers:
        lowered = name.lower()
        if lowered in drop:
            if lowered == b"connection":
                listed = value if listed is None else listed + b"," + value
            elif lowered == b"transfer-encoding":
                body = True
            continue
        if lowered == b"content-length":
            length = True
            body = body or value.strip() != b"0"
        parts += (name, b": ", value, b"\r\n")
    return length, body, listed


def chunk(data: bytes, last: bool) -> bytes:
    """``data`` in chunked framing, followed by the last chunk when ``last``.

    Examples:
        >>> chunk(b"abc", last=False), chunk(b"", last=True)
        (b'3\\r\\nabc\\r\\n', b'0\\r\\n\\r\\n')
    """
    framed = b"%x\r\n%b\r\n" % (len(data), data) if data else b""
    return framed + LAST_CHUNK if last else framed


def connection_tokens(headers: Iterable[tuple[bytes, bytes]]) -> set[bytes]:
    """Header names listed in ``Connection:`` (hop-by-hop for this message only)."""
    return {
        token.strip().lower()
        for name, value in headers
        if name.lower() == b"connection"
        for token in value.split(b",")
    }


def response_headers(raw: Headers) -> Headers:
    """MLflow's response headers as the client gets them (hop-by-hop ones removed).

    Examples:
        >>> response_headers([(b"Connection", b"keep-alive, X-Hop"), (b"X-Hop", b"1"), (b"X-Kept", b"1")])
        [(b'X-Kept', b'1')]
    """
    kept, connection = [], False
    for name, value in raw:
        lowered = name.lower()
        if lowered in RESPONSE_DROP:
            connection = connection or lowered == b"connection"
            continue
        kept.append((name, value))
    if connection:
        tokens = connection_tokens(raw)
        kept = [(n, v) for n, v in kept if n.lower() not in tokens]
    return kept
