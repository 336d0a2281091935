"""The gateway of ``hokusai gateway serve`` and ``hokusai local up``, put together.

A request to ``/api/mlflow/api/2.0/mlflow/runs/get?run_id=1`` goes through:

1. :class:`~hokusai.gateway.core.Gateway`, the rules core: the request id, then
   :meth:`Rules.decide <hokusai.gateway.rules.Rules.decide>` (mount prefix and path
   safety in :mod:`~hokusai.gateway.paths`, the route in
   :mod:`~hokusai.gateway.routes`, the key in :mod:`~hokusai.gateway.credentials` and
   :mod:`~hokusai.gateway.keys`), and the request rewritten as MLflow may see it
   (:mod:`~hokusai.gateway.headers`);
2. :class:`~hokusai.gateway.proxy.ProxyApp`: forwarded to MLflow over pooled
   connections (:mod:`~hokusai.gateway.upstream`) and streamed back;
3. the core again: counted (:mod:`~hokusai.gateway.metrics`) and logged
   (:mod:`~hokusai.gateway.access_log`).

Every refusal is MLflow-shaped JSON (:mod:`~hokusai.gateway.responses`).
"""

from __future__ import annotations

from hokusai.gateway.core import Gateway
from hokusai.gateway.keys import KeyStore
from hokusai.gateway.proxy import ProxyApp
from hokusai.gateway.settings import GatewaySettings


def create_app(settings: GatewaySettings | None = None, store: KeyStore | None = None) -> Gateway:
    """Build the gateway from settings (``HOKUSAI_GATEWAY_*`` variables when not given)."""
    settings = settings or GatewaySettings()
    proxy = ProxyApp(settings)
    return Gateway(proxy, settings, store, mlflow_check=proxy.check_mlflow)


__all__ = ["Gateway", "create_app"]
