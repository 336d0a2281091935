"""One request's record: its id, route, status and key id, counted and logged once.

The rules core (:mod:`~hokusai.gateway.core`) makes one :class:`Exchange` per request,
in both ways of running the gateway, and records it when the request is done.
"""

from __future__ import annotations

from dataclasses import dataclass

from hokusai.gateway import access_log
from hokusai.gateway.metrics import UNMATCHED, Metrics
from hokusai.gateway.responses import Refusal
from hokusai.gateway.types import Message, Scope, Send

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


@dataclass
class Exchange:
    """What one request turned out to be, for metrics and the access log."""

    request_id: str
    route: str = UNMATCHED
    status: int = 0
    key_id: str | None = None

    def tagging(self, send: Send, header: bytes) -> Send:
        """``send`` that notes the answer's status and adds the request id as ``header``."""
        id_header = (header, self.request_id.encode())

        async def send_tagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.status = message["status"]
                message["headers"] = [*message.get("headers", ()), id_header]
            await send(message)

        return send_tagged

    async def refuse(self, refusal: Refusal, metrics: Metrics, send: Send) -> None:
        """Answer with ``refusal``, counting a credential or upstream failure when it was one."""
        if refusal.route is not None:
            self.route = refusal.route
        if refusal.reason:
            metrics.auth_failures.labels(refusal.reason).inc()
        if refusal.upstream:
            metrics.upstream_errors.labels(refusal.upstream).inc()
        await refusal.send(send)

    def record(self, scope: Scope, seconds: float, metrics: Metrics, log: bool) -> None:
        """Count the request and, when ``log``, write its access line (the scope's query
        string has had any ``api_key`` removed by then)."""
        method = scope["method"] if scope["method"] in METHODS else "OTHER"
        status = self.status or 499  # nothing sent: the client went away
        metrics.observe(self.route, method, status, seconds)
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


async def send_metrics(metrics: Metrics, send: Send) -> None:
    """``/metrics``: the Prometheus text of ``metrics``."""
    body = metrics.render()
    headers = [
        (b"content-type", metrics.content_type.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
