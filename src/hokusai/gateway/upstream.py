"""Forward one request to MLflow over the pool, streaming both ways.

The gateway's own small HTTP/1.1 client does only what a proxy needs: the request head
comes from `wire`, connections from
`pool` (each one an `connection`). A
general-purpose client (aiohttp's, used before) cost about a quarter of the gateway's
CPU time per request; this one is a small part of it.

Bodies are never buffered: the request body is read from the ASGI ``receive`` channel
and written upstream chunk by chunk (waiting for the socket to drain), and the
response is sent back in chunks of at most
`CHUNK_SIZE` (uvicorn waits for the client to drain;
reading from MLflow pauses while more than
`HIGH_WATER` bytes wait). Memory per request stays
constant, whatever the artifact size.

Timeouts: ``connect_timeout`` for a new connection; ``read_timeout`` while MLflow owes
bytes (from the end of the request, reset by every byte received, paused while the
client is the slow side; checked by the pool's timer); ``total_timeout`` for the whole
exchange.
"""

from __future__ import annotations

import asyncio

from hokusai.gateway.headers import Headers, own_headers
from hokusai.gateway.pool import Pool
from hokusai.gateway.relay import ClientDisconnected, Failure, Relay, UpstreamAborted
from hokusai.gateway.responses import Refused, refusal
from hokusai.gateway.settings import GatewaySettings
from hokusai.gateway.types import Message, Receive, Send
from hokusai.gateway.wire import Origin, UpstreamRequest, request_head


class UpstreamError(Refused):
    """MLflow could not be reached, or broke off, before an answer was sent back."""

    def __init__(self, error_code: str, message: str, status: int, kind: str) -> None:
        super().__init__(refusal(error_code, message, status=status, upstream=kind))
        self.error_code = error_code
        self.message = message
        self.status = status
        self.kind = kind  # metrics label: unreachable, timeout, disconnected


class Upstream:
    """The MLflow server behind the gateway, reached through a pool of connections."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self.origin = Origin.from_url(settings.mlflow_url)
        self._own = own_headers(settings)  # never hop-by-hop, whatever Connection: says
        self._pool: Pool | None = None

    def request(self, method: str, target: bytes, headers: Headers) -> UpstreamRequest:
        """``method target`` with ``headers`` as MLflow should receive it; raises
        `InvalidHeader` for a CR or LF in either."""
        return request_head(self.origin, method, target, headers, self._own)

    async def forward(self, request: UpstreamRequest, receive: Receive, send: Send) -> int:
        """Send ``request`` and stream the answer back; returns the status sent.

        Raises `UpstreamError` when nothing was sent yet (the caller answers
        with an MLflow-shaped error); a failure after the answer has started raises
        `UpstreamAborted` (the server aborts the connection);
        `ClientDisconnected` when the client left mid-upload.
        """
        relay = Relay(request, receive, send)
        total = self.settings.total_timeout
        try:
            if total is None:
                return await relay.run(self._pool_here())
            try:
                async with asyncio.timeout(total):
                    return await relay.run(self._pool_here())
            except TimeoutError:
                if relay.answered:
                    raise UpstreamAborted("the total timeout ran out mid-response") from None
                raise Failure("timeout") from None
        except Failure as failure:
            raise self.error(failure.kind) from failure.__cause__

    async def probe(self, path: bytes, timeout: float) -> int:
        """GET ``path`` on MLflow through the pool; the status (the body is discarded)."""
        request = self.request("GET", path, [])

        async def discard(message: Message) -> None:
            pass

        async with asyncio.timeout(timeout):
            return await self.forward(request, _no_body, discard)

    async def close(self) -> None:
        """Close the pooled connections."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def _pool_here(self) -> Pool:
        # Not asyncio.get_running_loop() on every request: on Python 3.11 it costs a
        # getpid() system call. A pool whose loop no longer runs belongs to a loop
        # that is gone (tests run the same app on several loops in turn).
        pool = self._pool
        if pool is None or not pool.loop.is_running():
            pool = self._pool = Pool(self.origin, self.settings, asyncio.get_running_loop())
        return pool

    def error(self, kind: str) -> UpstreamError:
        """The MLflow-shaped error for a failure of ``kind`` (unreachable, timeout,
        disconnected)."""
        s, url = self.settings, self.origin.url
        if kind == "unreachable":
            return UpstreamError(
                "TEMPORARILY_UNAVAILABLE",
                f"The registry's MLflow server ({url}) is not reachable (connection refused "
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
                f"The registry's MLflow server ({url}) did not answer in time ({limit}).",
                504,
                kind,
            )
        return UpstreamError(
            "TEMPORARILY_UNAVAILABLE",
            f"The registry's MLflow server ({url}) closed the connection before "
            "answering; retry shortly.",
            502,
            kind,
        )


async def _no_body() -> Message:  # pragma: no cover - a GET sends no body
    return {"type": "http.request", "body": b"", "more_body": False}


__all__ = ["ClientDisconnected", "Upstream", "UpstreamAborted", "UpstreamError", "UpstreamRequest"]
