"""A minimal HTTP/1.1 keep-alive client on asyncio streams, and a fixed-answer server.

httpx tops out near 100 req/s at 64 clients on a 2-core box; this client costs a few
microseconds per request, so the servers under test stay the bottleneck. The
fixed-answer server measures the client's own ceiling.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass

READ_CHUNK = 1 << 20
ZEROS = bytes(READ_CHUNK)


@dataclass(frozen=True)
class Target:
    """One server under test: where to connect and what to prefix paths with."""

    name: str
    host: str
    port: int
    prefix: str = ""
    headers: tuple[tuple[str, str], ...] = ()

    def request(self, method: str, path: str, body: bytes = b"") -> bytes:
        """A complete request, encoded once and replayed."""
        lines = [f"{method} {self.prefix}{path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        if body or method in ("POST", "PUT", "PATCH"):
            lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class Connection:
    """One keep-alive connection; ``request`` returns (status, body bytes read)."""

    def __init__(
        self, host: str, port: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.host, self.port = host, port
        self.reader, self.writer = reader, writer
        self.reconnects = 0

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        reader, writer = await asyncio.open_connection(host, port, limit=READ_CHUNK)
        return cls(host, port, reader, writer)

    async def request(self, raw: bytes) -> tuple[int, int]:
        """Send ``raw``; like any keep-alive client, reconnect once if the server had
        closed the idle connection (uvicorn's keep-alive timeout is 5 s)."""
        try:
            self.writer.write(raw)
            return await self.response()
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            if isinstance(exc, asyncio.IncompleteReadError) and exc.partial:
                raise
        await self.close()
        self.reader, self.writer = await asyncio.open_connection(
            self.host, self.port, limit=READ_CHUNK
        )
        self.reconnects += 1
        self.writer.write(raw)
        return await self.response()

    async def response(self) -> tuple[int, int]:
        """Read one response; the body is discarded (its length is returned)."""
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length, chunked = -1, False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if chunked:
            return status, await self._chunked()
        if length < 0:
            raise ValueError(f"response without Content-Length: {head[:200]!r}")
        remaining = length
        while remaining:
            chunk = await self.reader.read(min(remaining, READ_CHUNK))
            if not chunk:
                raise ConnectionError("connection closed mid-body")
            remaining -= len(chunk)
        return status, length

    async def _chunked(self) -> int:
        total = 0
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")
                return total
            await self.reader.readexactly(size + 2)
            total += size

    async def upload(self, head: bytes, size: int) -> tuple[int, int]:
        """Send ``head`` then ``size`` zero bytes, streamed; read the response."""
        self.writer.write(head)
        view = memoryview(ZEROS)
        remaining = size
        while remaining:
            n = min(remaining, READ_CHUNK)
            self.writer.write(view[:n])
            await self.writer.drain()
            remaining -= n
        return await self.response()

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(Exception):
            await self.writer.wait_closed()


FIXED_BODY = b'{"experiment": {"experiment_id": "0", "name": "Default"}}'
FIXED_RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
    + str(len(FIXED_BODY)).encode()
    + b"\r\n\r\n"
    + FIXED_BODY
)


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lowered = head.lower()
            at = lowered.find(b"content-length:")
            if at >= 0:
                await reader.readexactly(int(lowered[at + 15 : lowered.find(b"\r\n", at)]))
            writer.write(FIXED_RESPONSE)
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()


def serve_fixed(port: int) -> None:
    """Run a server answering every request with one fixed JSON body (blocks)."""

    async def main() -> None:
        server = await asyncio.start_server(_answer, "127.0.0.1", port, backlog=1024)
        async with server:
            await server.serve_forever()

    new_loop()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())


def new_loop() -> None:
    """Use uvloop when installed (it comes with uvicorn[standard]), as the gateway does."""
    with contextlib.suppress(ImportError):
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def now() -> float:
    return time.perf_counter()
