"""The app the rules core wraps in ``hokusai gateway serve``: MLflow over HTTP.

By the time a request gets here the rules core (`core`) has let
it through and rewritten it as MLflow may see it (path without the mount prefix, no
credentials, the key's id added): `ProxyApp` forwards exactly that to the MLflow
server at ``mlflow_url`` (`upstream`) and streams the answer
back. What MLflow does not answer becomes a `Refused`
for the core to answer, count and log.
"""

from __future__ import annotations

from hokusai.gateway.responses import Refused, refusal
from hokusai.gateway.settings import GatewaySettings
from hokusai.gateway.types import Receive, Scope, Send
from hokusai.gateway.upstream import ClientDisconnected, Upstream, UpstreamError
from hokusai.gateway.wire import InvalidHeader


class ProxyApp:
    """An ASGI app that forwards every HTTP request to MLflow, as it is given."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self.upstream = Upstream(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        query = scope.get("query_string", b"")
        target = scope["raw_path"] + (b"?" + query if query else b"")
        try:
            request = self.upstream.request(scope["method"], target, scope["headers"])
        except InvalidHeader as exc:
            raise Refused(refusal("INVALID_PARAMETER_VALUE", f"Refused request: {exc}.")) from None
        # not contextlib.suppress: three Python calls more per request, on the hot path
        try:  # noqa: SIM105
            await self.upstream.forward(request, receive, send)
        except ClientDisconnected:
            pass  # nobody to answer: recorded as 499

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def close(self) -> None:
        """Close the pooled connections to MLflow."""
        await self.upstream.close()

    async def check_mlflow(self) -> str:
        """``"ok"`` when MLflow answers its ``/health``, else what is wrong (for ``/ready``)."""
        try:
            status = await self.upstream.probe(b"/health", self.settings.connect_timeout + 5)
        except Exception as exc:
            cause = exc.__cause__ if isinstance(exc, UpstreamError) and exc.__cause__ else exc
            return f"MLflow not reachable: {type(cause).__name__}"
        return "ok" if status == 200 else f"MLflow answered {status}"
