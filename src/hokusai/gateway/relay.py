"""One request on its way to MLflow and its answer on the way back.

A `Relay` takes a connection from the pool (`pool`), writes
the request head and streams the body from the ASGI ``receive`` channel (chunk framing
from `wire`), waits for the answer's head on the
`Connection` and streams its body to ``send``. A
pooled connection that MLflow closed before reading the request is retried once, on a
new connection, when no body had to be sent.
"""

from __future__ import annotations

from hokusai.gateway.connection import Connection
from hokusai.gateway.pool import Pool
from hokusai.gateway.responses import BrokenOff
from hokusai.gateway.types import Receive, Send
from hokusai.gateway.wire import UpstreamRequest, chunk, response_headers


class Failure(Exception):
    """MLflow did not answer: ``kind`` is ``unreachable``, ``timeout`` or ``disconnected``."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class UpstreamAborted(BrokenOff):
    """MLflow broke off in the middle of a response; the client connection is aborted."""


class ClientDisconnected(Exception):
    """The client went away while its request body was being forwarded."""


class _Stale(Exception):
    """A pooled connection closed by MLflow before it read the request: retry once."""


class Relay:
    """One request on its way to MLflow and its answer on the way back: over a pooled
    connection, or over a second one when the first turns out stale."""

    __slots__ = ("answered", "receive", "request", "send")

    def __init__(self, request: UpstreamRequest, receive: Receive, send: Send) -> None:
        self.request = request
        self.receive = receive
        self.send = send
        self.answered = False  # the response has started: too late for an error answer

    async def run(self, pool: Pool) -> int:
        """Send the request and relay the answer; returns its status.

        Raises `Failure` when MLflow did not answer (nothing was sent to the
        client yet), `UpstreamAborted` when it broke off mid-answer.
        """
        for attempt in (1, 2):
            try:
                conn = pool.take_idle() or await pool.acquire()
            except (OSError, TimeoutError) as exc:  # refused, unresolvable, TLS, timeout
                raise Failure("unreachable") from exc
            try:
                return await self._over(conn)
            except _Stale:
                if attempt == 2:
                    raise Failure("disconnected") from None
            finally:
                pool.release(conn)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _over(self, conn: Connection) -> int:
        request = self.request
        conn.begin(head_only=request.method == "HEAD")
        if conn.closed:
            raise _Stale if conn.reused and not request.body else Failure("disconnected")
        if request.body:
            await self._upload(conn)
        else:
            conn.transport.write(request.head)
        if not conn.complete:
            conn.read_since = conn.loop.time()
        while not conn.headers_done:
            if conn.exc is not None:
                raise self._failure(conn)
            await conn.wait()
        status = conn.status
        headers = response_headers(conn.headers)
        await self.send({"type": "http.response.start", "status": status, "headers": headers})
        self.answered = True
        await self._relay_body(conn)
        conn.read_since = None
        return status

    async def _relay_body(self, conn: Connection) -> None:
        while True:
            if conn.chunks:
                data = conn.take()
                last = conn.complete and not conn.chunks
                await self.send({"type": "http.response.body", "body": data, "more_body": not last})
                if last:
                    return
            elif conn.complete:
                await self.send({"type": "http.response.body", "body": b""})
                return
            elif conn.exc is not None:
                raise UpstreamAborted(str(conn.exc) or type(conn.exc).__name__)
            else:
                await conn.wait()

    async def _upload(self, conn: Connection) -> None:
        """Stream the request body from ``receive`` to MLflow, the head first."""
        pending, chunked = self.request.head, self.request.chunked
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                conn.fail(ConnectionAbortedError("client disconnected"))
                raise ClientDisconnected("client disconnected during upload")
            if conn.exc is not None or conn.closed:
                raise self._failure(conn)
            if conn.headers_done:  # MLflow answered before reading it all: stop sending
                conn.keep_alive = False
                return
            data = message.get("body", b"")
            more = message.get("more_body", False)
            if chunked:
                data = chunk(data, last=not more)
            if pending:
                data, pending = pending + data, b""
            if data:
                conn.transport.write(data)
            if not more:
                return
            while conn.write_paused and conn.exc is None and not conn.headers_done:
                await conn.wait()  # MLflow reads slower than the client sends

    def _failure(self, conn: Connection) -> Exception:
        if isinstance(conn.exc, TimeoutError):
            return Failure("timeout")
        if conn.reused and not self.request.body and not conn.received:
            return _Stale()
        return Failure("disconnected")
