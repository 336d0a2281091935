"""Shared pieces of the reliability tests: raw ASGI calls, an echo upstream, log capture.

The fuzz and security tests drive the gateway's ASGI app directly, on one event loop
they own, with an ``aiohttp.web`` echo server as "MLflow": the echo records exactly what
the gateway forwarded, so "never forwarded" and "never leaked upstream" are facts read
off the wire, not guesses.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from urllib.parse import unquote

from hokusai.local import free_port

# Error codes the MLflow client knows (mlflow.protos.databricks_pb2.ErrorCode; importing
# it costs ~15 s on the shared box). A body with any other code is shown as INTERNAL_ERROR.
MLFLOW_ERROR_CODES = frozenset(
    {
        "INTERNAL_ERROR",
        "TEMPORARILY_UNAVAILABLE",
        "IO_ERROR",
        "BAD_REQUEST",
        "DEADLINE_EXCEEDED",
        "CANCELLED",
        "RESOURCE_EXHAUSTED",
        "ABORTED",
        "NOT_FOUND",
        "ALREADY_EXISTS",
        "UNAUTHENTICATED",
        "INVALID_PARAMETER_VALUE",
        "ENDPOINT_NOT_FOUND",
        "MALFORMED_REQUEST",
        "INVALID_STATE",
        "PERMISSION_DENIED",
        "FEATURE_DISABLED",
        "REQUEST_LIMIT_EXCEEDED",
        "RESOURCE_CONFLICT",
        "NOT_IMPLEMENTED",
        "RESOURCE_ALREADY_EXISTS",
        "RESOURCE_DOES_NOT_EXIST",
        "QUOTA_EXCEEDED",
        "RESOURCE_LIMIT_EXCEEDED",
    }
)
ECHO_HEADER = "x-echo-upstream"


@dataclass
class Forwarded:
    """One request as the echo upstream received it."""

    method: str
    target: str  # raw path + query, as sent upstream
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def text(self) -> str:
        """Everything MLflow saw except the body, as one string (for leak checks)."""
        return self.method + " " + self.target + "\n" + json.dumps(self.headers)


@dataclass
class EchoUpstream:
    """A stand-in MLflow on a free port: answers 200 JSON with :data:`ECHO_HEADER`.

    It is served by uvicorn (httptools), the HTTP server ``mlflow server`` runs on, so
    what it accepts or refuses on the wire is what MLflow would.
    """

    seen: list[Forwarded] = field(default_factory=list)
    port: int = 0
    _server: object = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> EchoUpstream:
        import uvicorn

        self.port = free_port()
        config = uvicorn.Config(
            self._app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="off",
            interface="asgi3",
            proxy_headers=False,
        )
        config.load()
        self._server = uvicorn.Server(config)
        # startup()/shutdown() without serve(): no signal handlers, no main loop needed
        self._server.lifespan = config.lifespan_class(config)
        await self._server.startup()
        return self

    async def _app(self, scope, receive, send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        target = scope["raw_path"].decode("latin-1")
        if scope["query_string"]:
            target += "?" + scope["query_string"].decode("latin-1")
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        self.seen.append(Forwarded(scope["method"], target, headers, body))
        payload = b'{"echo": true}'
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                    (ECHO_HEADER.encode(), b"1"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    async def close(self) -> None:
        if self._server is not None:
            await self._server.shutdown()


@dataclass
class Reply:
    """The gateway's answer as a client sees it."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes

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
    return Reply(starts[0]["status"], list(starts[0].get("headers", [])), body)


def assert_mlflow_error(reply: Reply, statuses: set[int] | None = None) -> dict:
    """The reply is MLflow-shaped JSON the MLflow client shows as is; returns it."""
    content_type = b"".join(v for k, v in reply.headers if k.lower() == b"content-type")
    assert content_type.startswith(b"application/json"), (reply.status, content_type, reply.body)
    payload = json.loads(reply.body)
    assert isinstance(payload, dict), payload
    assert payload.get("error_code") in MLFLOW_ERROR_CODES, payload
    assert isinstance(payload.get("message"), str) and payload["message"], payload
    if statuses is not None:
        assert reply.status in statuses, (reply.status, payload)
    return payload


class LogCapture(logging.Handler):
    """Every log record of the process, formatted as the gateway's JSON logs (with tracebacks)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        from hokusai.gateway.access_log import JsonFormatter

        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception:  # a record that cannot be formatted must not hide the others
            self.lines.append(repr(record.__dict__))

    def since(self, mark: int) -> str:
        return "\n".join(self.lines[mark:])


class captured_logs:
    """Attach a :class:`LogCapture` to the root logger, with ``hokusai`` at INFO (access log on)."""

    def __enter__(self) -> LogCapture:
        self.handler = LogCapture()
        self.hokusai = logging.getLogger("hokusai")
        self.level = self.hokusai.level
        self.hokusai.setLevel(logging.INFO)
        self.root = logging.getLogger()
        self.root.addHandler(self.handler)
        if not self.hokusai.propagate:  # `hokusai gateway serve`'s log config stops propagation
            self.hokusai.addHandler(self.handler)
        return self.handler

    def __exit__(self, *exc) -> None:
        self.root.removeHandler(self.handler)
        self.hokusai.removeHandler(self.handler)
        self.hokusai.setLevel(self.level)


def fragments(secret: str, size: int = 8) -> list[str]:
    """Every ``size``-character piece of the random part of a key (after ``hk_live_``)."""
    body = secret.split("_", 2)[-1] if secret.startswith("hk_") else secret
    return [body[i : i + size] for i in range(0, max(1, len(body) - size + 1))]
