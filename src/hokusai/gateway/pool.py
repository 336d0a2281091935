"""A bounded pool of keep-alive connections to one MLflow server.

Requests beyond the limit wait in line (FIFO). Idle connections are reused newest
first and closed after ``keepalive_timeout`` seconds (below uvicorn's 5 s, so MLflow
never closes a connection the gateway is about to reuse). One timer, running only
while connections are open, closes expired idle connections and fails exchanges whose
read timeout ran out: a timer per pool instead of one per request.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections import deque

from hokusai.gateway.connection import Connection
from hokusai.gateway.settings import GatewaySettings
from hokusai.gateway.wire import Origin


class Pool:
    """Keep-alive connections to ``origin``, at most ``max_connections`` open at a time."""

    def __init__(
        self, origin: Origin, settings: GatewaySettings, loop: asyncio.AbstractEventLoop
    ) -> None:
        self.origin = origin
        self.loop = loop
        self.limit = settings.max_connections
        self.connect_timeout = settings.connect_timeout
        self.keepalive = settings.keepalive_timeout
        self.read_timeout = settings.read_timeout
        # The read timeout is checked to within a quarter of itself (at most 5 s late);
        # expired idle connections are never reused, and closed by the next tick.
        self.tick = max(0.01, min(5.0, settings.read_timeout / 4))
        self.idle: list[Connection] = []
        self.busy: set[Connection] = set()
        self.open = 0
        self.waiters: deque[asyncio.Future] = deque()
        self.timer: asyncio.TimerHandle | None = None

    def take_idle(self) -> Connection | None:
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

    async def acquire(self) -> Connection:
        """An idle connection, a new one, or the next one released (FIFO).

        Raises `OSError` or `TimeoutError` when a new connection cannot
        be made within ``connect_timeout``.
        """
        requeue = False
        while True:
            conn = self.take_idle()
            if conn is not None:
                return conn
            if self.open < self.limit:
                self.open += 1
                try:
                    conn = await self._connect()
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

    async def _connect(self) -> Connection:
        origin = self.origin
        conn = Connection(self, self.loop)
        async with asyncio.timeout(self.connect_timeout):
            await self.loop.create_connection(
                lambda: conn,
                origin.host,
                origin.port,
                ssl=origin.ssl_context,
                server_hostname=origin.host if origin.ssl_context else None,
            )
        sock = conn.transport.get_extra_info("socket")
        with contextlib.suppress(OSError, AttributeError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn

    def release(self, conn: Connection) -> None:
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

    def discard(self, conn: Connection) -> None:
        """Close ``conn`` and make room for another."""
        conn.busy = False
        self.busy.discard(conn)
        if conn.connected and not conn.closed:
            conn.transport.close()
        if conn.counted:
            conn.counted = False
            self.open -= 1
            self._next()

    def forget(self, conn: Connection) -> None:
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
        """Close every connection and stop the timer."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        for conn in [*self.idle, *self.busy]:
            if conn.connected:
                conn.transport.close()
        self.idle.clear()
