"""Forward one request to MLflow over pooled keep-alive connections, streaming both ways.

The upstream client is a small HTTP/1.1 client of the gateway's own: an
`asyncio.Protocol` per connection, httptools' response parser (the C parser
uvicorn uses), and a bounded pool of keep-alive connections. It does only what a proxy
needs: aiohttp's ``ClientSession``, used before, was ~25 % of the gateway's CPU time per
request (py-spy); this client is ~0.06 million of the ~0.32 million instructions a
request costs the gateway (callgrind).

Bodies are never buffered: the request body is read from the ASGI ``receive`` channel
and written upstream chunk by chunk (waiting for the socket to drain), and the
response is sent back in chunks of at most `CHUNK_SIZE` (uvicorn waits for the
client to drain; reading from MLflow pauses while more than `HIGH_WATER` bytes
wait). Memory per request stays constant, whatever the artifact size.

Timeouts: ``connect_timeout`` for a new connection; ``read_timeout`` while MLflow owes
bytes (from the end of the request, reset by every byte received, paused while the
client is the slow side); ``total_timeout`` for the whole exchange. The read timeout
is checked by one periodic timer per pool instead of a timer per request.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import socket
import ssl
from collections import deque
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

import httptools

from hokusai.gateway.settings import GatewaySettings
from hokusai.gateway.types import Receive, Send

CHUNK_SIZE = 64 * 1024
# Response bytes waiting for the client before reading from MLflow pauses (and resumes
# below CHUNK_SIZE).
HIGH_WATER = 4 * CHUNK_SIZE
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
# Never forwarded upstream: credentials, hop-by-hop, and what the client sets itself.
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
# Methods sent without a Content-Length when they carry no body (as aiohttp did); the
# others get "Content-Length: 0", so MLflow never waits for a body.
BODYLESS_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "CONNECT", "TRACE"})
_LAST_CHUNK = b"0\r\n\r\n"


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


class InvalidHeader(ValueError):
    """A header name or value that cannot be written on the wire (CR, LF)."""


class _Stale(Exception):
    """A pooled connection closed by MLflow before it read the request: retry once."""


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


class _Connection(asyncio.Protocol):
    """One keep-alive connection to MLflow and the state of the exchange on it."""

    def __init__(self, pool: _Pool) -> None:
        self.pool = pool
        self.loop = pool.loop
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.closed = False
        self.counted = True  # counts against the pool's limit until discarded
        self.busy = False
        self.reused = False
        self.idle_since = 0.0
        self.waiter: asyncio.Future | None = None
        self.write_paused = False
        self.chunks: deque[bytes] = deque()
        self._reset(False)

    def _reset(self, head: bool) -> None:
        self.chunks.clear()
        self.head = head
        self.exc: BaseException | None = None
        self.received = False
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.headers_done = False
        self.complete = False
        self.informational = False
        self.keep_alive = True
        self.buffered = 0
        self.reading_paused = False
        self.read_since: float | None = None  # MLflow owes bytes since then (None: not timed)

    # -- asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

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
            self.pool.forget(self)
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
        if self.head:  # the parser cannot be told a HEAD answer has no body
            self.complete = True
            self.keep_alive = False

    def on_body(self, body: bytes) -> None:
        if self.head:
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
        waiter = self.waiter
        if waiter is not None:
            self.waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def wait(self) -> asyncio.Future:
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
        """End the exchange with ``exc`` (a timeout) and drop the connection."""
        if self.exc is None and not self.complete:
            self.exc = exc
        self.keep_alive = False
        if self.transport is not None:
            self.transport.abort()
        self.wake()

    def _until_eof(self) -> bool:
        for name, value in self.headers:
            lowered = name.lower()
            if lowered == b"content-length" or (
                lowered == b"transfer-encoding" and b"chunked" in value.lower()
            ):
                return False
        return self.status not in (204, 304)


class _Pool:
    """Keep-alive connections to one MLflow server, at most ``limit`` open at a time.

    Requests beyond the limit wait in line (FIFO). Idle connections are reused newest
    first and closed after ``keepalive`` seconds (below uvicorn's 5 s, so MLflow never
    closes a connection the gateway is about to reuse). One timer, running only while
    connections are open, closes expired idle connections and fails exchanges whose
    read timeout ran out.
    """

    def __init__(self, upstream: Upstream, loop: asyncio.AbstractEventLoop) -> None:
        s = upstream.settings
        self.upstream = upstream
        self.loop = loop
        self.limit = s.max_connections
        self.keepalive = s.keepalive_timeout
        self.read_timeout = s.read_timeout
        # The read timeout is checked to within a quarter of itself (at most 5 s late);
        # expired idle connections are never reused, and closed by the next tick.
        self.tick = max(0.01, min(5.0, s.read_timeout / 4))
        self.idle: list[_Connection] = []
        self.busy: set[_Connection] = set()
        self.open = 0
        self.waiters: deque[asyncio.Future] = deque()
        self.timer: asyncio.TimerHandle | None = None

    def take_idle(self) -> _Connection | None:
        """The most recently used idle connection that may still be used, if any."""
        idle = self.idle
        while idle:
            conn = idle.pop()
            if (
                conn.closed
                or conn.transport.is_closing()
                or self.loop.time() - conn.idle_since >= self.keepalive
            ):
                self.discard(conn)
                continue
            conn.reused = True
            conn.busy = True
            self.busy.add(conn)
            return conn
        return None

    async def acquire(self) -> _Connection:
        """An idle connection, a new one, or the next one released (FIFO)."""
        requeue = False
        while True:
            conn = self.take_idle()
            if conn is not None:
                return conn
            if self.open < self.limit:
                self.open += 1
                try:
                    conn = await self.connect()
                except BaseException:
                    self.open -= 1
                    self._next()
                    raise
                conn.busy = True
                self.busy.add(conn)
                self._arm()
                return conn
            waiter = self.loop.create_future()
            if requeue:  # woken, but another request took the connection first
                self.waiters.appendleft(waiter)
            else:
                self.waiters.append(waiter)
            requeue = True
            try:
                await waiter
            except BaseException:
                if waiter.done() and not waiter.cancelled():
                    self._next()  # woken, then cancelled: pass the turn on
                else:
                    with contextlib.suppress(ValueError):
                        self.waiters.remove(waiter)
                raise

    async def connect(self) -> _Connection:
        up = self.upstream
        conn = _Connection(self)
        try:
            async with asyncio.timeout(up.settings.connect_timeout):
                await self.loop.create_connection(
                    lambda: conn,
                    up.host,
                    up.port,
                    ssl=up.ssl_context,
                    server_hostname=up.host if up.ssl_context else None,
                )
        except (OSError, TimeoutError) as exc:  # refused, unresolvable, TLS, timeout
            raise up.error("unreachable") from exc
        sock = conn.transport.get_extra_info("socket")
        with contextlib.suppress(OSError, AttributeError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn

    def release(self, conn: _Connection) -> None:
        """Back to the pool if it can carry another request, else closed."""
        conn.busy = False
        self.busy.discard(conn)
        if conn.closed or not conn.keep_alive or not conn.complete or conn.exc is not None:
            self.discard(conn)
            return
        conn.idle_since = self.loop.time()
        self.idle.append(conn)
        if self.waiters:
            self._next()

    def discard(self, conn: _Connection) -> None:
        conn.busy = False
        self.busy.discard(conn)
        if conn.transport is not None and not conn.closed:
            conn.transport.close()
        if conn.counted:
            conn.counted = False
            self.open -= 1
            self._next()

    def forget(self, conn: _Connection) -> None:
        """An idle connection MLflow closed."""
        with contextlib.suppress(ValueError):
            self.idle.remove(conn)
        self.discard(conn)

    def _next(self) -> None:
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def _arm(self) -> None:
        if self.timer is None:
            self.timer = self.loop.call_later(self.tick, self._housekeeping)

    def _housekeeping(self) -> None:
        self.timer = None
        now = self.loop.time()
        for conn in [c for c in self.idle if now - c.idle_since >= self.keepalive]:
            self.idle.remove(conn)
            self.discard(conn)
        for conn in list(self.busy):
            since = conn.read_since
            if since is not None and not conn.reading_paused and now - since >= self.read_timeout:
                conn.fail(TimeoutError("MLflow sent nothing within the read timeout"))
        if self.open:
            self._arm()

    def close(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        for conn in [*self.idle, *self.busy]:
            if conn.transport is not None:
                conn.transport.close()
        self.idle.clear()


class Upstream:
    """The MLflow server behind the gateway, reached through a pool of connections."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self.base = settings.mlflow_url.rstrip("/")
        url = urlsplit(self.base)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"mlflow_url must be an http(s) URL, not {settings.mlflow_url!r}")
        self.host = url.hostname
        self.port = url.port or (443 if url.scheme == "https" else 80)
        self.ssl_context = ssl.create_default_context() if url.scheme == "https" else None
        self.prefix = url.path.rstrip("/")
        netloc = f"[{self.host}]" if ":" in self.host else self.host
        if url.port is not None:
            netloc += f":{url.port}"
        host_lines = [b"Host: " + netloc.encode("idna") + b"\r\n"]
        if url.username is not None:  # credentials in the URL: Basic auth, as aiohttp did
            user_pass = f"{unquote(url.username)}:{unquote(url.password or '')}"
            token = base64.b64encode(user_pass.encode("latin-1"))
            host_lines.append(b"Authorization: Basic " + token + b"\r\n")
        self._host_lines = b"".join(host_lines)
        self._host_line_count = len(host_lines)
        self._pool: _Pool | None = None
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

    def _pool_here(self) -> _Pool:
        # Not asyncio.get_running_loop() on every request: on Python 3.11 it costs a
        # getpid() system call. A pool whose loop no longer runs belongs to a loop
        # that is gone (tests run the same app on several loops in turn).
        pool = self._pool
        if pool is None or not pool.loop.is_running():
            pool = self._pool = _Pool(self, asyncio.get_running_loop())
        return pool

    async def close(self) -> None:
        """Close the pooled connections."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def request_head(
        self,
        method: str,
        target: str,
        headers: list[tuple[bytes, bytes]],
        extra: Iterable[tuple[bytes, bytes]],
        body: bool,
    ) -> tuple[bytes, bool]:
        """The request line and headers as MLflow should see them, and whether the body
        goes chunked (it had no Content-Length). ``extra`` headers are added last.

        Raises `InvalidHeader` if any name or value holds CR or LF (an ASGI
        server never passes those on; checked so no header can be smuggled upstream).
        """
        target_bytes = (self.prefix + target).encode("latin-1")
        line = b"%b %b HTTP/1.1\r\n" % (method.encode("latin-1"), target_bytes)
        parts = [line, self._host_lines]
        length, listed = self._header_lines(headers, self.drop, parts)
        if listed is not None and listed.lower() not in (b"keep-alive", b"close"):
            # Names listed in Connection: are hop-by-hop too (usually it says only
            # "keep-alive" or "close", which changes nothing): filter again without them.
            tokens = {token.strip().lower() for token in listed.split(b",")} - self.drop
            tokens.discard(b"close")
            if tokens and any(name.lower() in tokens for name, _ in headers):
                del parts[2:]
                length, _ = self._header_lines(headers, self.drop | tokens, parts)
        for name, value in extra:
            parts += (name, b": ", value, b"\r\n")
        # One CRLF ends the request line, each Host line, each header (4 parts each)...
        lines = 1 + self._host_line_count + (len(parts) - 2) // 4
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
        return head, chunked

    def _header_lines(
        self, headers: list[tuple[bytes, bytes]], drop: frozenset[bytes], parts: list[bytes]
    ) -> tuple[bool, bytes | None]:
        """Append the client's header lines MLflow should see to ``parts``; returns
        whether one is Content-Length, and the value(s) of ``Connection:``, if any."""
        allow = self.allow
        length, listed = False, None
        for name, value in headers:
            lowered = name.lower()
            if lowered in drop:
                if lowered == b"connection":
                    listed = value if listed is None else listed + b"," + value
                continue
            if allow is not None and lowered not in allow:
                continue
            if lowered == b"content-length":
                length = True
            parts += (name, b": ", value, b"\r\n")
        return length, listed

    async def forward(
        self,
        method: str,
        head: bytes,
        body: bool,
        chunked: bool,
        receive: Receive,
        send: Send,
    ) -> int:
        """Send the request (``head`` from `request_head`) and stream the answer back.

        Returns the status sent. Raises `UpstreamError` when nothing was sent
        yet (the caller answers with an MLflow-shaped error); a failure after the
        answer has started raises `UpstreamAborted` (the server aborts the
        connection); `ClientDisconnected` when the client left mid-upload.
        """
        total = self.settings.total_timeout
        if total is None:
            return await self._forward(method, head, body, chunked, receive, send)
        state = [False]
        try:
            async with asyncio.timeout(total):
                return await self._forward(method, head, body, chunked, receive, send, state)
        except TimeoutError:
            if state[0]:
                raise UpstreamAborted("the total timeout ran out mid-response") from None
            raise self.error("timeout") from None

    async def _forward(
        self,
        method: str,
        head: bytes,
        body: bool,
        chunked: bool,
        receive: Receive,
        send: Send,
        state: list[bool] | None = None,
    ) -> int:
        pool = self._pool_here()
        for attempt in (1, 2):
            conn = pool.take_idle() or await pool.acquire()
            try:
                return await self._exchange(
                    conn, method == "HEAD", head, body, chunked, receive, send, state
                )
            except _Stale:
                if attempt == 2:
                    raise self.error("disconnected") from None
            finally:
                pool.release(conn)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _exchange(
        self,
        conn: _Connection,
        is_head: bool,
        head: bytes,
        body: bool,
        chunked: bool,
        receive: Receive,
        send: Send,
        state: list[bool] | None,
    ) -> int:
        conn._reset(is_head)
        if conn.closed:
            raise _Stale if conn.reused and not body else self.error("disconnected")
        if body:
            await self._upload(conn, head, chunked, receive)
        else:
            conn.transport.write(head)
        if not conn.complete:
            conn.read_since = conn.loop.time()
        while not conn.headers_done:
            if conn.exc is not None:
                raise self._failure(conn, body)
            await conn.wait()
        headers = self._response_headers(conn.headers)
        status = conn.status
        await send({"type": "http.response.start", "status": status, "headers": headers})
        if state is not None:
            state[0] = True
        while True:
            if conn.chunks:
                chunk = conn.take()
                last = conn.complete and not conn.chunks
                await send({"type": "http.response.body", "body": chunk, "more_body": not last})
                if last:
                    break
            elif conn.complete:
                await send({"type": "http.response.body", "body": b""})
                break
            elif conn.exc is not None:
                raise UpstreamAborted(str(conn.exc) or type(conn.exc).__name__)
            else:
                await conn.wait()
        conn.read_since = None
        return status

    async def _upload(
        self, conn: _Connection, head: bytes, chunked: bool, receive: Receive
    ) -> None:
        """Stream the request body from ``receive`` to MLflow, ``head`` first."""
        pending = head
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                conn.keep_alive = False
                conn.fail(ConnectionAbortedError("client disconnected"))
                raise ClientDisconnected("client disconnected during upload")
            if conn.exc is not None or conn.closed:
                raise self._failure(conn, True)
            if conn.headers_done:  # MLflow answered before reading it all: stop sending
                conn.keep_alive = False
                return
            chunk = message.get("body", b"")
            more = message.get("more_body", False)
            if chunked:
                if chunk:
                    chunk = b"%x\r\n%b\r\n" % (len(chunk), chunk)
                if not more:
                    chunk += _LAST_CHUNK
            if pending:
                chunk, pending = pending + chunk, b""
            if chunk:
                conn.transport.write(chunk)
            if not more:
                return
            while conn.write_paused and conn.exc is None and not conn.headers_done:
                await conn.wait()  # MLflow reads slower than the client sends

    def _failure(self, conn: _Connection, body: bool) -> Exception:
        exc = conn.exc
        if isinstance(exc, TimeoutError):
            return self.error("timeout")
        if conn.reused and not body and not conn.received:
            return _Stale()
        return self.error("disconnected")

    @staticmethod
    def _response_headers(raw: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        kept, connection = [], False
        for name, value in raw:
            lowered = name.lower()
            if lowered in RESPONSE_DROP:
                connection = connection or lowered == b"connection"
                continue
            kept.append((name, value))
        if connection:
            tokens = _connection_tokens(raw)
            kept = [(n, v) for n, v in kept if n.lower() not in tokens]
        return kept

    async def probe(self, path: str, timeout: float) -> int:
        """GET ``path`` on MLflow through the pool; the status (the body is discarded)."""
        head, _ = self.request_head("GET", path, [], (), False)
        answered: list[int] = []

        async def receive() -> dict:  # pragma: no cover - GET sends no body
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict) -> None:
            if message["type"] == "http.response.start":
                answered.append(message["status"])

        async with asyncio.timeout(timeout):
            await self._forward("GET", head, False, False, receive, send)
        return answered[0]

    def error(self, kind: str) -> UpstreamError:
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
