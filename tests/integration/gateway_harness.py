"""Test harness for the gateway: a fake MLflow (aiohttp.web) and an in-process gateway.

Both run on free loopback ports in background threads with their own event loops, so
tests talk to them with plain blocking HTTP, exactly as a client would. Used by the
unit tests (proxy mechanics against the fake) and by the integration tests (fault
injection: a gateway pointed at a dead port or at a slow server).
"""

from __future__ import annotations

import asyncio
import hashlib
import http.client
import json
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from hokusai.gateway import GatewaySettings, create_app
from hokusai.gateway.keys import KeyStore
from hokusai.local import free_port


@dataclass
class Seen:
    """One request as the fake MLflow received it."""

    method: str
    raw_path: str  # path and query exactly as sent
    headers: list[tuple[str, str]]
    body_size: int
    body_sha256: str

    def header(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]


class _LoopThread:
    """An asyncio loop in a daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro, timeout: float = 30.0):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@dataclass
class FakeMlflow:
    """A stand-in for ``mlflow server``: records requests, answers as told.

    - ``GET /health`` → 200; ``…/slow…`` sleeps ``delay`` s before answering;
    - ``GET …/download/<n>`` streams ``n`` bytes (in 1 MiB chunks);
    - anything else: reads the body in chunks (hashing, never keeping it), answers
      ``{"ok": true, "body_size": n}``.
    """

    delay: float = 0.0
    seen: list[Seen] = field(default_factory=list)
    port: int = 0

    def __post_init__(self) -> None:
        self._loop = _LoopThread()
        self.port = free_port()
        self._runner = self._loop.run(self._start())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _start(self) -> web.AppRunner:
        app = web.Application(client_max_size=0)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", self.port).start()
        return runner

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        digest, size = hashlib.sha256(), 0
        async for chunk in request.content.iter_chunked(1 << 20):
            digest.update(chunk)
            size += len(chunk)
        raw = request.raw_path
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.raw_headers]
        self.seen.append(Seen(request.method, raw, headers, size, digest.hexdigest()))
        if raw == "/health":
            return web.Response(text="OK")
        if "slow" in raw:
            await asyncio.sleep(self.delay)
        if "/download/" in raw:
            total = int(raw.rsplit("/", 1)[1])
            response = web.StreamResponse(headers={"Content-Length": str(total)})
            await response.prepare(request)
            block = b"x" * (1 << 20)
            for start in range(0, total, len(block)):
                await response.write(block[: min(len(block), total - start)])
            await response.write_eof()
            return response
        return web.json_response(
            {"ok": True, "body_size": size},
            headers={"Connection": "keep-alive, X-Secret-Hop", "X-Secret-Hop": "1"},
        )

    def close(self) -> None:
        self._loop.run(self._runner.cleanup())
        self._loop.stop()


def rss_bytes(pid: int | str = "self") -> int:
    """Resident memory of a process now (Linux ``/proc``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


class PeakRss:
    """Samples a process's RSS every few ms in a thread; ``growth`` = peak - start."""

    def __init__(self, pid: int | str = "self", interval: float = 0.005) -> None:
        self.pid, self.interval = pid, interval
        self.start = self.peak = rss_bytes(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, rss_bytes(self.pid))

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes(self.pid))

    @property
    def growth(self) -> int:
        return self.peak - self.start


class InProcessGateway:
    """The real gateway app under uvicorn, in a thread, on a free port."""

    def __init__(self, mlflow_url: str, db_url: str, **overrides) -> None:
        import uvicorn

        self.store = KeyStore(db_url)
        self.settings = GatewaySettings(mlflow_url=mlflow_url, db_url=self.store.url, **overrides)
        self.app = create_app(self.settings, self.store)
        self.port = free_port()
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("in-process gateway did not start")
            time.sleep(0.02)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def key(self, *scopes: str, **kwargs) -> tuple[str, str]:
        """A new key with ``scopes`` (default read+write): (key id, secret)."""
        key, secret = self.store.create("test", scopes or ("read", "write"), **kwargs)
        return key.id, secret

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


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


def mlflow_url_of(registry_pid: int) -> str:
    """The URL of the ``mlflow server`` child of a ``hokusai local up`` process."""
    children = Path(f"/proc/{registry_pid}/task/{registry_pid}/children").read_text().split()
    for child in children:
        argv = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        if b"mlflow" in argv and b"--port" in argv:
            return f"http://127.0.0.1:{argv[argv.index(b'--port') + 1].decode()}"
    raise RuntimeError(f"no mlflow server among the children of {registry_pid}")
