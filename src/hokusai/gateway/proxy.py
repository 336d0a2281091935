"""Forward one request to MLflow over a pooled aiohttp session, streaming both ways."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp

from hokusai.gateway.errors import send_error
from hokusai.gateway.types import Receive, Send

CHUNK_SIZE = 64 * 1024
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)
# Never forwarded upstream: credentials, and what aiohttp sets for the upstream itself.
REQUEST_DROP = HOP_BY_HOP | {b"host", b"authorization", b"x-api-key"}


class UpstreamError(Exception):
    """MLflow could not be reached or did not answer in time."""

    def __init__(self, error_code: str, message: str) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.message = message


def new_session(connect_timeout: float, read_timeout: float, limit: int) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=limit, keepalive_timeout=30),
        timeout=aiohttp.ClientTimeout(
            total=None, sock_connect=connect_timeout, sock_read=read_timeout
        ),
        auto_decompress=False,
        skip_auto_headers=("User-Agent", "Accept-Encoding", "Accept"),
    )


def request_headers(
    headers: list[tuple[bytes, bytes]], drop: frozenset[bytes], extra: dict[str, str]
) -> list[tuple[str, str]]:
    forwarded = [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, value in headers
        if name.lower() not in drop
    ]
    forwarded.extend(extra.items())
    return forwarded


async def _request_body(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ConnectionResetError("client disconnected during upload")
        body = message.get("body", b"")
        if body:
            yield body
        if not message.get("more_body", False):
            return


def _has_body(headers: list[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        lowered = name.lower()
        if lowered == b"content-length" and value.strip() != b"0":
            return True
        if lowered == b"transfer-encoding":
            return True
    return False


async def forward(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    headers: list[tuple[str, str]],
    has_body: bool,
    receive: Receive,
    send: Send,
    upstream_name: str,
) -> int:
    """Send the request upstream and stream the answer back; returns the status sent."""
    data = _request_body(receive) if has_body else None
    try:
        async with session.request(
            method, url, headers=headers, data=data, allow_redirects=False, compress=None
        ) as upstream:
            await send(
                {
                    "type": "http.response.start",
                    "status": upstream.status,
                    "headers": [
                        (name, value)
                        for name, value in upstream.raw_headers
                        if name.lower() not in HOP_BY_HOP
                    ],
                }
            )
            async for chunk in upstream.content.iter_chunked(CHUNK_SIZE):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
            return upstream.status
    except aiohttp.ClientConnectorError:
        await send_error(
            send,
            "TEMPORARILY_UNAVAILABLE",
            f"The registry's MLflow server ({upstream_name}) is not reachable; "
            "retry shortly or ask the registry operator to check it.",
        )
        return 503
    except (TimeoutError, aiohttp.ServerTimeoutError):
        await send_error(
            send,
            "DEADLINE_EXCEEDED",
            f"The registry's MLflow server ({upstream_name}) did not answer in time.",
        )
        return 504
