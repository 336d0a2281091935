"""The one fake MLflow: answers as told and records exactly what it received.

It is served by uvicorn with httptools, the HTTP server ``mlflow server`` runs on, so
what it accepts or refuses on the wire is what MLflow would; what it records is what
the gateway forwarded, so "never forwarded" and "never leaked upstream" are facts read
off the wire, not guesses.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from tests.support.servers import ServerThread

# On every answer of the fake: a reply that carries it came from "MLflow", not the gateway.
ECHO_HEADER = "x-echo-upstream"
KEEP_BODY = 1 << 20  # bodies up to this size are kept whole; larger ones only hashed
BLOCK = 1 << 20


@dataclass
class Seen:
    """One request as the fake MLflow received it."""

    method: str
    target: str  # raw path and query, exactly as sent
    headers: list[tuple[str, str]]
    body_size: int
    body_sha256: str
    body: bytes | None  # None when larger than KEEP_BODY

    def header(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def text(self) -> str:
        """Everything MLflow saw except the body, as one string (for leak checks)."""
        return self.method + " " + self.target + "\n" + json.dumps(self.headers)


@dataclass
class _Answers:
    """The ASGI app: what the fake answers (see :class:`FakeMlflow`)."""

    delay: float
    seen: list[Seen] = field(default_factory=list)
    generation: int = 0

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        digest, size, kept = hashlib.sha256(), 0, bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the request never arrived whole: MLflow never saw it
            chunk = message.get("body", b"")
            digest.update(chunk)
            size += len(chunk)
            if size <= KEEP_BODY:
                kept += chunk
            if not message.get("more_body"):
                break
        target = scope["raw_path"].decode("latin-1")
        if scope["query_string"]:
            target += "?" + scope["query_string"].decode("latin-1")
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        body = bytes(kept) if size <= KEEP_BODY else None
        self.seen.append(Seen(scope["method"], target, headers, size, digest.hexdigest(), body))
        if target == "/health":
            await _answer(send, 200, b"OK", b"text/plain")
        elif "/download/" in target:
            await _stream(send, int(target.rsplit("/", 1)[1]))
        else:
            if "slow" in target:
                await asyncio.sleep(self.delay)
            payload = {"ok": True, "body_size": size, "generation": self.generation}
            await _answer(send, 200, json.dumps(payload).encode(), b"application/json")


async def _answer(send: Any, status: int, body: bytes, content_type: bytes) -> None:
    headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
        (ECHO_HEADER.encode(), b"1"),
        # Hop-by-hop for this answer only: a proxy must relay neither.
        (b"connection", b"keep-alive, X-Secret-Hop"),
        (b"x-secret-hop", b"1"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _stream(send: Any, total: int) -> None:
    headers = [(b"content-length", str(total).encode()), (ECHO_HEADER.encode(), b"1")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    block = b"x" * BLOCK
    for start in range(0, total, BLOCK):
        piece = block[: min(BLOCK, total - start)]
        await send({"type": "http.response.body", "body": piece, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


class FakeMlflow(ServerThread):
    """A stand-in for ``mlflow server`` on a free port, recording every request in ``seen``.

    - ``GET /health`` → 200 ``OK``;
    - ``…/download/<n>`` → ``n`` bytes, streamed in 1 MiB pieces;
    - anything else → 200 ``{"ok": true, "body_size": n, "generation": g}`` once the
      body is read, after ``delay`` seconds when the target contains ``slow``; ``g``
      counts the starts (``stop()`` then ``start()`` is an MLflow restart).

    Every answer carries :data:`ECHO_HEADER`, and hop-by-hop headers a proxy must drop.
    ``config`` goes to uvicorn (e.g. ``timeout_keep_alive``).
    """

    def __init__(self, delay: float = 0.0, **config: Any) -> None:
        self.answers = _Answers(delay)
        defaults = {"lifespan": "off", "proxy_headers": False, "timeout_graceful_shutdown": 2}
        super().__init__(self.answers, **{**defaults, **config})

    @property
    def seen(self) -> list[Seen]:
        return self.answers.seen

    def start(self, timeout: float = 20.0) -> None:
        self.answers.generation += 1
        super().start(timeout)
