"""Forward one request to MLflow over a pooled aiohttp session, streaming both ways.

Bodies are never buffered: the request body is read from the ASGI ``receive`` channel
and written upstream chunk by chunk (aiohttp waits for the socket to drain), and the
response is sent back in chunks of at most :data:`CHUNK_SIZE` (uvicorn waits for the
client to drain). Memory per request stays constant, whatever the artifact size.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable

import aiohttp
from yarl import URL

from hokusai.gateway.settings import GatewaySettings
from hokusai.gateway.types import Receive, Send

CHUNK_SIZE = 64 * 1024
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
CREDENTIAL_HEADERS = frozenset({b"authorization", b"x-api-key"})
# Never forwarded upstream: credentials, hop-by-hop, and what aiohttp sets itself.
REQUEST_DROP = HOP_BY_HOP | CREDENTIAL_HEADERS | {b"host", b"expect"}
# uvicorn adds its own Date and Server headers; MLflow's would be duplicates.
RESPONSE_DROP = HOP_BY_HOP | {b"date", b"server"}
# Forwarded even when `forward_headers` restricts the rest: the body needs them.
ESSENTIAL = frozenset(
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


class UpstreamError(Exception):
    """MLflow could not be reached, or broke off, before an answer was sent back."""

    def __init__(self, error_code: str, message: str, status: int, kind: str) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.message = message
        self.status = status
        self.kind = kind  # metrics label: unreachable, timeout, disconnected


class UpstreamAborted(Exception):
    """MLflow broke off in the middle of a response; the client connection is aborted."""


class ClientDisconnected(Exception):
    """The client went away while its request body was being forwarded."""


def _connection_tokens(headers: Iterable[tuple[bytes, bytes]]) -> set[bytes]:
    """Header names listed in ``Connection:`` (hop-by-hop for this message only)."""
    return {
        token.strip().lower()
        for name, value in headers
        if name.lower() == b"connection"
        for token in value.split(b",")
    }


def has_body(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    """True when the request announces a body (non-zero length or chunked)."""
    for name, value in headers:
        lowered = name.lower()
        if lowered == b"content-length" and value.strip() != b"0":
            return True
        if lowered == b"transfer-encoding":
            return True
    return False


async def _request_body(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnected("client disconnected during upload")
        body = message.get("body", b"")
        if body:
            yield body
        if not message.get("more_body", False):
            return


class Upstream:
    """The MLflow server behind the gateway, reached through one pooled session."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self.base = settings.mlflow_url.rstrip("/")
        self._session: aiohttp.ClientSession | None = None
        self.drop = (
            REQUEST_DROP
            | {settings.identity_header.lower().encode()}
            | {settings.request_id_header.lower().encode()}
            | {h.encode() for h in settings.remove_headers}
        )
        self.allow = (
            frozenset(h.encode() for h in settings.forward_headers) | ESSENTIAL
            if settings.forward_headers
            else None
        )

    @property
    def session(self) -> aiohttp.ClientSession:
        """The pooled session, created on first use inside the running event loop."""
        if self._session is None or self._session.closed:
            s = self.settings
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=s.max_connections, keepalive_timeout=s.keepalive_timeout
                ),
                timeout=aiohttp.ClientTimeout(
                    total=s.total_timeout, sock_connect=s.connect_timeout, sock_read=s.read_timeout
                ),
                auto_decompress=False,
                skip_auto_headers=("User-Agent", "Accept-Encoding", "Accept", "Content-Type"),
            )
        return self._session

    async def close(self) -> None:
        """Close the pooled connections."""
        if self._session is not None:
            await self._session.close()

    def headers(
        self, headers: list[tuple[bytes, bytes]], extra: dict[str, str]
    ) -> list[tuple[str, str]]:
        """The client's headers as MLflow should see them, plus ``extra``."""
        drop = (
            self.drop | _connection_tokens(headers)
            if b"connection" in (n.lower() for n, _ in headers)
            else self.drop
        )
        forwarded = [
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, value in headers
            if (lowered := name.lower()) not in drop
            and (self.allow is None or lowered in self.allow)
        ]
        forwarded.extend(extra.items())
        return forwarded

    async def forward(
        self,
        method: str,
        target: str,
        headers: list[tuple[str, str]],
        body: bool,
        receive: Receive,
        send: Send,
    ) -> int:
        """Send the request to ``base + target`` and stream the answer back.

        Returns the status sent. Raises :class:`UpstreamError` when nothing was sent
        yet (the caller answers with an MLflow-shaped error); a failure after the
        answer has started propagates, and the server aborts the connection.
        """
        url = URL(self.base + target, encoded=True)
        for attempt in (1, 2):
            data = _request_body(receive) if body else None
            try:
                async with self.session.request(
                    method, url, headers=headers, data=data, allow_redirects=False, compress=None
                ) as upstream:
                    return await self._relay(upstream, send)
            except aiohttp.ServerDisconnectedError:
                # A pooled connection MLflow had just closed: safe to retry without a body.
                if body or attempt == 2:
                    raise self._error("disconnected") from None
            except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError):
                raise self._error("unreachable") from None
            except TimeoutError:  # aiohttp's read timeouts and the total timeout
                raise self._error("timeout") from None
            except (aiohttp.ClientOSError, aiohttp.ClientPayloadError):
                raise self._error("disconnected") from None
        raise AssertionError("unreachable")  # pragma: no cover

    async def _relay(self, upstream: aiohttp.ClientResponse, send: Send) -> int:
        drop = RESPONSE_DROP | _connection_tokens(upstream.raw_headers)
        await send(
            {
                "type": "http.response.start",
                "status": upstream.status,
                "headers": [(n, v) for n, v in upstream.raw_headers if n.lower() not in drop],
            }
        )
        try:
            async for chunk in upstream.content.iter_chunked(CHUNK_SIZE):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise UpstreamAborted(str(exc) or type(exc).__name__) from exc
        await send({"type": "http.response.body", "body": b""})
        return upstream.status

    def _error(self, kind: str) -> UpstreamError:
        s, base = self.settings, self.base
        if kind == "unreachable":
            return UpstreamError(
                "TEMPORARILY_UNAVAILABLE",
                f"The registry's MLflow server ({base}) is not reachable (connection refused "
                f"or not made within {s.connect_timeout:g} s); retry shortly or ask the registry "
                "operator to check it.",
                503,
                kind,
            )
        if kind == "timeout":
            limit = f"{s.read_timeout:g} s without data" + (
                f", or {s.total_timeout:g} s in all" if s.total_timeout else ""
            )
            return UpstreamError(
                "DEADLINE_EXCEEDED",
                f"The registry's MLflow server ({base}) did not answer in time ({limit}).",
                504,
                kind,
            )
        return UpstreamError(
            "TEMPORARILY_UNAVAILABLE",
            f"The registry's MLflow server ({base}) closed the connection before "
            "answering; retry shortly.",
            502,
            kind,
        )
