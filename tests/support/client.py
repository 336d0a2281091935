"""Talking to a server or an ASGI app in tests, without a library's normalisation.

:func:`request` sends exactly the target and headers it is given (repeated headers, odd
paths, chunked or streamed bodies) over a real socket; :func:`asgi_call` hands one
request to an ASGI app the way uvicorn would, on the caller's event loop.
"""

from __future__ import annotations

import asyncio
import http.client
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from tests.support.fake_mlflow import ECHO_HEADER


@dataclass
class Answer:
    """A response as the client saw it."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)

    def header(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]


def request(
    base_url: str,
    method: str,
    target: str,
    headers: Iterable[tuple[str, str]] | dict[str, str] = (),
    body: bytes | Iterable[bytes] | None = None,
    timeout: float = 60.0,
    length: int | None = None,
    read_chunk: int | None = None,
) -> Answer:
    """Send exactly ``target`` (no normalisation, repeated headers allowed).

    An iterable ``body`` goes chunked, or with ``Content-Length: length`` if given.
    With ``read_chunk`` the response body is read and discarded in chunks; ``body`` of
    the answer is then its length as ASCII digits.
    """
    host_port = base_url.split("://", 1)[1]
    conn = http.client.HTTPConnection(host_port, timeout=timeout)
    try:
        conn.putrequest(method, target, skip_accept_encoding=True)
        items = headers.items() if isinstance(headers, dict) else headers
        for name, value in items:
            conn.putheader(name, value)
        chunked = body is not None and not isinstance(body, bytes) and length is None
        if isinstance(body, bytes):
            conn.putheader("Content-Length", str(len(body)))
        elif length is not None:
            conn.putheader("Content-Length", str(length))
        elif chunked:
            conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        if isinstance(body, bytes):
            conn.send(body)
        elif chunked:
            for chunk in body:
                conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            conn.send(b"0\r\n\r\n")
        elif body is not None:
            for chunk in body:
                conn.send(chunk)
        response = conn.getresponse()
        if read_chunk is None:
            return Answer(response.status, response.getheaders(), response.read())
        total = 0
        while chunk := response.read(read_chunk):
            total += len(chunk)
        return Answer(response.status, response.getheaders(), str(total).encode())
    finally:
        conn.close()


@dataclass
class Reply:
    """The gateway's answer as a client sees it."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    scope: dict[str, Any] = field(default_factory=dict)  # as the app left it

    def header(self, name: str) -> list[str]:
        return [v.decode("latin-1") for k, v in self.headers if k.lower() == name.lower().encode()]

    @property
    def from_upstream(self) -> bool:
        return bool(self.header(ECHO_HEADER))

    def json(self) -> dict:
        return json.loads(self.body)


async def asgi_call(
    app,
    method: str,
    raw_path: bytes,
    query: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
    body_chunks: list[bytes] | None = None,
) -> Reply:
    """One HTTP request through the ASGI app, as uvicorn would hand it over.

    ``path`` is the percent-decoded ``raw_path`` (as uvicorn computes it); a
    ``content-length`` matching the body is added when the caller sends a body and
    no ``transfer-encoding``. Raises if the app raises (a server would answer 500).
    """
    headers = list(headers or [])
    chunks = list(body_chunks or [])
    names = {k.lower() for k, _ in headers}
    if chunks and b"transfer-encoding" not in names and b"content-length" not in names:
        headers.append((b"content-length", str(sum(map(len, chunks))).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": unquote(raw_path.decode("latin-1")),
        "raw_path": raw_path,
        "query_string": query,
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 80),
    }
    messages = [{"type": "http.request", "body": c, "more_body": True} for c in chunks]
    messages.append({"type": "http.request", "body": b"", "more_body": False})
    sent: list[dict] = []
    disconnect = asyncio.Event()

    async def receive() -> dict:
        if messages:
            return messages.pop(0)
        await disconnect.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    await app(scope, receive, send)
    disconnect.set()
    starts = [m for m in sent if m["type"] == "http.response.start"]
    assert len(starts) == 1, f"the app sent {len(starts)} response starts: {sent[:3]}"
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert sent[-1]["type"] == "http.response.body" and not sent[-1].get("more_body"), (
        "the response was never completed"
    )
    return Reply(starts[0]["status"], list(starts[0].get("headers", [])), body, scope)
