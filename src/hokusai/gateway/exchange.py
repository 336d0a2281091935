"""One request's record: its id, route, status and key id, counted and logged once.

The rules core (`core`) makes one `Exchange` per request,
in both ways of running the gateway, and records it when the request is done: the
request metrics, MLflow's time to answer (when the request reached MLflow), the outcome
of a model-version creation, the access-log line.
"""

from __future__ import annotations

from dataclasses import dataclass
from time import perf_counter

from hokusai.gateway import access_log
from hokusai.gateway.headers import Headers
from hokusai.gateway.metrics import ERROR_BODY_BYTES, REGISTRATION_ROUTE, UNMATCHED, Metrics
from hokusai.gateway.responses import Refusal
from hokusai.gateway.types import Message, Scope, Send

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


@dataclass
class Exchange:
    """What one request turned out to be, for metrics and the access log.

    ``forwarded_at`` is when the request was handed to MLflow (0: it never was);
    ``upstream_seconds`` how long MLflow then took to start its answer. ``error_body``
    keeps the start of a failed registration's answer (for its ``error_code``);
    ``forwarded`` the headers MLflow was given (only kept for the header-debug line).
    """

    request_id: str
    route: str = UNMATCHED
    status: int = 0
    key_id: str | None = None
    forwarded_at: float = 0.0
    upstream_seconds: float | None = None
    error_body: bytearray | None = None
    aborted: bool = False  # MLflow broke off mid-answer
    forwarded: Headers | None = None

    def tagging(self, send: Send, header: bytes) -> Send:
        """``send`` that notes the answer's status (and MLflow's time to it) and adds
        the request id as ``header``."""
        id_header = (header, self.request_id.encode())

        async def send_tagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.status = status = message["status"]
                if self.forwarded_at:
                    self.upstream_seconds = perf_counter() - self.forwarded_at
                message["headers"] = [*message.get("headers", ()), id_header]
                if status >= 400 and self.route == REGISTRATION_ROUTE:
                    self.error_body = bytearray()
            elif self.error_body is not None and len(self.error_body) < ERROR_BODY_BYTES:
                self.error_body += message.get("body", b"")[:ERROR_BODY_BYTES]
            await send(message)

        return send_tagged

    async def refuse(self, refusal: Refusal, metrics: Metrics, send: Send) -> None:
        """Answer with ``refusal``, counting a credential or upstream failure when it was one."""
        self.forwarded_at = 0.0  # the gateway answers, not MLflow
        if refusal.route is not None:
            self.route = refusal.route
        failure = refusal.failure
        if failure is not None:
            counter = metrics.auth_failures if failure.kind == "auth" else metrics.upstream_errors
            counter.labels(failure.label).inc()
        await refusal.send(send)

    def record(self, scope: Scope, seconds: float, metrics: Metrics, log: bool) -> None:
        """Count the request and, when ``log``, write its access line (the scope's query
        string has had any ``api_key`` removed by then)."""
        method = scope["method"] if scope["method"] in METHODS else "OTHER"
        status = self.status or 499  # nothing sent: the client went away
        metrics.observe(self.route, method, status, seconds, self.upstream_seconds)
        if self.route == REGISTRATION_ROUTE and method == "POST":
            metrics.count_registration(status, self.error_body, self.aborted)
        if self.key_id is not None and metrics.key_requests is not None:
            metrics.count_key(self.key_id, status)
        if log and access_log.enabled():
            client = scope.get("client")
            access_log.log_request(
                request_id=self.request_id,
                key_id=self.key_id,
                method=method,
                path=scope["path"],
                query=scope.get("query_string", b"").decode("latin-1"),
                route=self.route,
                status=status,
                duration_ms=round(seconds * 1000, 2),
                client=client[0] if client else None,
            )


async def send_metrics(metrics: Metrics, send: Send, checks: dict[str, str]) -> None:
    """``/metrics``: the Prometheus text of ``metrics``, with the readiness ``checks``."""
    body = metrics.render(checks)
    headers = [
        (b"content-type", metrics.content_type.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
