"""The gateway of ``hokusai gateway serve`` and ``hokusai local up``, put together.

A request to ``/api/mlflow/api/2.0/mlflow/runs/get?run_id=1`` goes through:

1. `Gateway`, the rules core: the request id, then
   `Rules.decide <hokusai.gateway.rules.Rules.decide>` (mount prefix and path
   safety in `paths`, the route in
   `routes`, the key in `credentials` and
   `keys`), and the request rewritten as MLflow may see it
   (`headers`);
2. `ProxyApp`: forwarded to MLflow over pooled
   connections (`upstream`) and streamed back;
3. the core again: counted (`metrics`) and logged
   (`access_log`).

Every refusal is MLflow-shaped JSON (`responses`).
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
