"""The gateway's own HTTP/1.1 client (:mod:`hokusai.gateway.upstream`) against scripted servers.

Each test runs a raw asyncio server that answers exactly as scripted (chunked, until
EOF, HEAD, 100 Continue, early answers, stale keep-alive connections, garbage: what an
HTTP server library would not send), and drives
:class:`~hokusai.gateway.upstream.Upstream` the way the proxy does: a request, an ASGI
``receive`` for the body and a ``send`` that records what the client would get.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field

import pytest

from hokusai.gateway.connection import CHUNK_SIZE
from hokusai.gateway.settings import GatewaySettings
from hokusai.gateway.upstream import Upstream, UpstreamAborted, UpstreamError
from hokusai.gateway.wire import InvalidHeader

OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


async def read_request(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    """One request: (head, body); the body by Content-Length or chunked."""
    head = await reader.readuntil(b"\r\n\r\n")
    match = re.search(rb"(?i)content-length: *(\d+)", head)
    if match:
        return head, await reader.readexactly(int(match.group(1)))
    body = b""
    if re.search(rb"(?i)transfer-encoding: *chunked", head):
        while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
            body += (await reader.readexactly(size + 2))[:-2]
        await reader.readuntil(b"\r\n")
    return head, body


@dataclass
class Scripted:
    """A server whose ``handler(reader, writer, n)`` serves its n-th connection."""

    handler: object
    connections: int = 0
    requests: list[tuple[bytes, bytes]] = field(default_factory=list)
    server: asyncio.Server | None = None

    async def __aenter__(self) -> Scripted:
        async def serve(reader, writer):
            self.connections += 1
            try:
                await self.handler(self, reader, writer, self.connections)
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            finally:
                writer.close()

        self.server = await asyncio.start_server(serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc) -> None:
        self.server.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"


async def keep_answering(server: Scripted, reader, writer, _n, answer: bytes = OK) -> None:
    while True:
        server.requests.append(await read_request(reader))
        writer.write(answer)
        await writer.drain()


@dataclass
class Client:
    """What the client side of the gateway was sent."""

    status: int = 0
    headers: list = field(default_factory=list)
    bodies: list = field(default_factory=list)
    done: bool = False

    @property
    def body(self) -> bytes:
        return b"".join(self.bodies)

    async def send(self, message: dict) -> None:
        if message["type"] == "http.response.start":
            self.status, self.headers = message["status"], message["headers"]
        else:
            self.bodies.append(message.get("body", b""))
            self.done = not message.get("more_body", False)


def body_of(*chunks: bytes):
    messages = [{"type": "http.request", "body": c, "more_body": True} for c in chunks]
    messages.append({"type": "http.request", "body": b"", "more_body": False})

    async def receive() -> dict:
        if messages:
            return messages.pop(0)
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}  # pragma: no cover

    return receive


async def no_body() -> dict:  # pragma: no cover - never called for a bodyless request
    raise AssertionError("receive() called for a request without a body")


def upstream(url: str, **overrides) -> Upstream:
    return Upstream(GatewaySettings(mlflow_url=url, **overrides))


async def call(up: Upstream, method="GET", path=b"/x", headers=(), body=None) -> Client:
    chunks = body or []
    sent = list(headers)
    if chunks and not any(n == b"content-length" for n, _ in sent):
        sent.append((b"transfer-encoding", b"chunked"))
    sent.append((b"X-Hokusai-Key-Id", b"k1"))  # as the rules core adds it
    request = up.request(method, path, sent)
    client = Client()
    receive = body_of(*chunks) if chunks else no_body
    await up.forward(request, receive, client.send)
    return client


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 30))


def test_keep_alive_reuses_one_connection_and_the_request_head_is_minimal():
    async def main():
        async with Scripted(keep_answering) as server:
            up = upstream(server.url)
            for _ in range(5):
                client = await call(up, headers=[(b"accept", b"*/*"), (b"authorization", b"x")])
                assert (client.status, client.body, client.done) == (200, b"{}", True)
            await up.close()
            head = server.requests[0][0].decode()
            assert head == (
                f"GET /x HTTP/1.1\r\nHost: {server.url[7:]}\r\naccept: */*\r\n"
                "X-Hokusai-Key-Id: k1\r\n\r\n"
            )
            return server.connections

    assert run(main()) == 1


def test_bodies_are_streamed_with_their_length_or_chunked():
    async def main():
        async with Scripted(keep_answering) as server:
            up = upstream(server.url)
            await call(up, "PUT", headers=[(b"content-length", b"6")], body=[b"abc", b"def"])
            await call(up, "POST", body=[b"abc", b"", b"def"])
            await call(up, "POST")  # no body: MLflow must not wait for one
            await up.close()
            (put, put_body), (chunked, chunked_body), (empty, _) = server.requests
            assert put_body == b"abcdef" and b"content-length: 6\r\n" in put
            assert chunked_body == b"abcdef" and b"Transfer-Encoding: chunked\r\n" in chunked
            assert empty.endswith(b"Content-Length: 0\r\n\r\n")

    run(main())


def test_a_chunked_answer_arrives_whole_without_its_framing_headers():
    answer = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive, X-Hop\r\n"
        b"X-Hop: 1\r\nDate: today\r\nX-Kept: 1\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n"
    )

    async def main():
        async with Scripted(lambda *a: keep_answering(*a, answer=answer)) as server:
            up = upstream(server.url)
            client = await call(up)
            again = await call(up)
            await up.close()
            assert client.body == again.body == b"abcdefg" and client.done
            assert client.headers == [(b"X-Kept", b"1")]
            return server.connections

    assert run(main()) == 1


def test_an_answer_delimited_by_the_end_of_the_connection():
    async def handler(server, reader, writer, _n):
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end")
        await writer.drain()
        writer.close()

    async def main():
        async with Scripted(handler) as server:
            up = upstream(server.url)
            first, second = await call(up), await call(up)
            await up.close()
            assert first.body == second.body == b"until the end"
            return server.connections

    assert run(main()) == 2


def test_head_answers_carry_no_body_and_interim_answers_are_skipped():
    async def handler(server, reader, writer, _n):
        head, _ = await read_request(reader)
        if head.startswith(b"HEAD"):
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n")
        else:
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n" + OK)
        await writer.drain()
        await reader.read()  # keep the connection open

    async def main():
        async with Scripted(handler) as server:
            up = upstream(server.url)
            head = await call(up, "HEAD")
            assert (head.status, head.headers, head.body) == (
                200,
                [(b"Content-Length", b"10")],
                b"",
            )
            interim = await call(up, "GET")
            assert (interim.status, interim.body) == (200, b"{}")
            await up.close()

    run(main())


def test_a_large_answer_is_sent_on_in_pieces_of_at_most_chunk_size():
    size = 3 * 1024 * 1024 + 7
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size + b"z" * size

    async def main():
        async with Scripted(lambda *a: keep_answering(*a, answer=answer)) as server:
            up = upstream(server.url)
            client = await call(up)
            await up.close()
            assert len(client.body) == size and client.done
            assert max(len(b) for b in client.bodies) <= CHUNK_SIZE

    run(main())


def test_the_pool_is_bounded_and_requests_beyond_it_wait_their_turn():
    async def slow(server, reader, writer, _n):
        while True:
            server.requests.append(await read_request(reader))
            await asyncio.sleep(0.1)
            writer.write(OK)

    async def main():
        async with Scripted(slow) as server:
            up = upstream(server.url, max_connections=2)
            clients = await asyncio.gather(*(call(up) for _ in range(7)))
            await up.close()
            assert [c.status for c in clients] == [200] * 7
            return server.connections

    assert run(main()) == 2


def test_an_idle_connection_is_not_reused_after_the_keepalive_timeout():
    async def main():
        async with Scripted(keep_answering) as server:
            up = upstream(server.url, keepalive_timeout=0.2)
            await call(up)
            await asyncio.sleep(0.5)
            await call(up)
            await up.close()
            return server.connections

    assert run(main()) == 2


def test_a_stale_pooled_connection_is_retried_once_when_no_body_was_sent():
    async def handler(server, reader, writer, n):
        server.requests.append(await read_request(reader))
        writer.write(OK)
        await writer.drain()
        if n == 1:  # the keep-alive timeout hits just as the next request arrives
            await read_request(reader)
            return
        await keep_answering(server, reader, writer, n)

    async def main():
        async with Scripted(handler) as server:
            up = upstream(server.url)
            await call(up)
            retried = await call(up)  # on a fresh connection
            await up.close()
            assert retried.status == 200
        async with Scripted(handler) as server:
            up = upstream(server.url)
            await call(up)
            with pytest.raises(UpstreamError) as caught:  # a body cannot be sent twice
                await call(up, "POST", body=[b"once"])
            await up.close()
            assert caught.value.kind == "disconnected" and caught.value.status == 502

    run(main())


def test_an_answer_before_the_upload_ends_is_relayed_and_the_upload_stopped():
    async def handler(server, reader, writer, _n):
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 413 Too Large\r\nContent-Length: 4\r\n\r\nbig!")
        await writer.drain()
        await asyncio.sleep(5)  # never reads the body

    async def main():
        async with Scripted(handler) as server:
            up = upstream(server.url)
            client = await call(up, "PUT", body=[b"x" * (1 << 20)] * 64)
            await up.close()
            assert (client.status, client.body) == (413, b"big!")

    run(main())


def test_garbage_from_mlflow_is_a_502_and_a_break_mid_answer_aborts():
    async def garbage(server, reader, writer, _n):
        await read_request(reader)
        writer.write(b"SMTP ready\r\n\r\n")
        await writer.drain()

    async def broken(server, reader, writer, _n):
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part")
        await writer.drain()

    async def main():
        async with Scripted(garbage) as server:
            with pytest.raises(UpstreamError) as caught:
                await call(upstream(server.url))
            assert caught.value.status == 502
        async with Scripted(broken) as server:
            with pytest.raises(UpstreamAborted):
                await call(upstream(server.url))

    run(main())


def test_the_total_timeout_is_a_504_before_the_answer():
    async def trickle(server, reader, writer, _n):
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        for _ in range(20):  # bytes keep coming, so the read timeout never fires
            writer.write(b"a")
            await writer.drain()
            await asyncio.sleep(0.05)

    async def main():
        async with Scripted(trickle) as server:
            up = upstream(server.url, total_timeout=0.3, read_timeout=0.2)
            with pytest.raises(UpstreamError) as caught:
                await call(up)
            assert (caught.value.status, caught.value.kind) == (504, "timeout")
            assert "0.3 s in all" in caught.value.message

    run(main())


def test_a_line_break_in_a_header_is_refused_before_anything_is_sent():
    up = upstream("http://127.0.0.1:9")
    with pytest.raises(InvalidHeader):
        up.request("GET", b"/x", [(b"x-a", b"1\r\nX-Evil: 1")])
    with pytest.raises(InvalidHeader):
        up.request("GET", b"/x\r\nX-Evil: 1", [])
