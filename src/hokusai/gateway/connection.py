"""One keep-alive connection to MLflow: an `asyncio.Protocol` and httptools' parser.

The connection holds the state of the exchange running on it (status, headers, the
response body received and not yet sent on, whether it is complete or failed) and
wakes the coroutine that waits for it (`upstream`). It never
buffers more than `HIGH_WATER` bytes of a response: past that, reading from the
socket pauses until the client has taken enough.

httptools is the C HTTP parser uvicorn uses; its callbacks (``on_header``,
``on_headers_complete``, ``on_body``, ``on_message_complete``) are methods here.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Protocol, cast

import httptools

from hokusai.gateway.headers import Headers

CHUNK_SIZE = 64 * 1024
# Response bytes waiting for the client before reading from MLflow pauses (and resumes
# below CHUNK_SIZE).
HIGH_WATER = 4 * CHUNK_SIZE


class Owner(Protocol):
    """What a connection tells its pool."""

    def forget(self, conn: Connection) -> None:
        """An idle connection closed by MLflow."""


class Connection(asyncio.Protocol):
    """One keep-alive connection to MLflow and the state of the exchange on it."""

    def __init__(self, owner: Owner, loop: asyncio.AbstractEventLoop) -> None:
        self.owner = owner
        self.loop = loop
        self._transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.closed = False
        self.counted = True  # counts against the pool's limit until discarded
        self.busy = False
        self.reused = False
        self.idle_since = 0.0
        self.waiter: asyncio.Future | None = None
        self.write_paused = False
        self.chunks: deque[bytes] = deque()
        self.begin(head_only=False)

    def begin(self, head_only: bool) -> None:
        """Ready for a new exchange (``head_only``: the answer to a HEAD, no body)."""
        self.chunks.clear()
        self.head_only = head_only
        self.exc: BaseException | None = None
        self.received = False
        self.status = 0
        self.headers: Headers = []
        self.headers_done = False
        self.complete = False
        self.informational = False
        self.keep_alive = True
        self.buffered = 0
        self.reading_paused = False
        self.read_since: float | None = None  # MLflow owes bytes since then (None: not timed)

    @property
    def connected(self) -> bool:
        """True once the socket is open (`connection_made` has run)."""
        return self._transport is not None

    @property
    def transport(self) -> asyncio.Transport:
        """The socket's transport; the pool uses a connection only once it is connected."""
        if self._transport is None:
            raise ConnectionError("the connection to MLflow is not open yet")
        return self._transport

    # -- asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # create_connection() hands a protocol a stream transport (TCP or TLS).
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if not self.busy:  # nothing asked: a broken or confused server
            self.keep_alive = False
            self.transport.close()
            return
        self.received = True
        if self.read_since is not None:
            self.read_since = self.loop.time()
        try:
            self.parser.feed_data(data)
        except Exception as exc:  # malformed answer, or bytes after a final one
            self.keep_alive = False
            if not self.complete:
                self.exc = ConnectionError(f"MLflow sent a malformed response: {exc}")
            self.transport.close()
        self.wake()

    def eof_received(self) -> bool:
        return False  # close the transport; connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.busy:
            self.owner.forget(self)
            return
        if not self.complete and self.exc is None:
            if exc is None and self.headers_done and self._until_eof():
                self.complete = True  # a body delimited by the end of the connection
            else:
                self.exc = exc or ConnectionResetError("MLflow closed the connection")
        self.wake()

    def pause_writing(self) -> None:
        self.write_paused = True

    def resume_writing(self) -> None:
        self.write_paused = False
        self.wake()

    # -- httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        if status < 200 and status != 101:  # 100 Continue, 103 Early Hints: not the answer
            self.informational = True
            self.headers = []
            return
        self.status = status
        self.headers_done = True
        if self.head_only:  # the parser cannot be told a HEAD answer has no body
            self.complete = True
            self.keep_alive = False

    def on_body(self, body: bytes) -> None:
        if self.head_only:
            return
        self.chunks.append(body)
        self.buffered += len(body)
        if self.buffered > HIGH_WATER and not self.reading_paused:
            self.reading_paused = True
            self.transport.pause_reading()

    def on_message_complete(self) -> None:
        if self.informational:
            self.informational = False
            return
        self.complete = True
        self.read_since = None
        if not self.parser.should_keep_alive():
            self.keep_alive = False

    # -- for the exchange
    def wake(self) -> None:
        """Resume the coroutine waiting in `wait`, if any."""
        waiter = self.waiter
        if waiter is not None:
            self.waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def wait(self) -> asyncio.Future:
        """A future resolved by the next event on this connection."""
        self.waiter = waiter = self.loop.create_future()
        return waiter

    def take(self) -> bytes:
        """The next buffered piece of the response body (at most CHUNK_SIZE bytes)."""
        chunk = self.chunks.popleft()
        if len(chunk) > CHUNK_SIZE:
            self.chunks.appendleft(chunk[CHUNK_SIZE:])
            chunk = chunk[:CHUNK_SIZE]
        self.buffered -= len(chunk)
        if self.reading_paused and self.buffered < CHUNK_SIZE and not self.transport.is_closing():
            self.reading_paused = False
            self.transport.resume_reading()
            if self.read_since is not None:
                self.read_since = self.loop.time()
        return chunk

    def fail(self, exc: BaseException) -> None:
        """End the exchange with ``exc`` (a timeout, the client gone) and drop the
        connection."""
        if self.exc is None and not self.complete:
            self.exc = exc
        self.keep_alive = False
        if self._transport is not None:
            self._transport.abort()
        self.wake()

    def _until_eof(self) -> bool:
        for name, value in self.headers:
            lowered = name.lower()
            if lowered == b"content-length" or (
                lowered == b"transfer-encoding" and b"chunked" in value.lower()
            ):
                return False
        return self.status not in (204, 304)
