"""The Hokusai registry gateway: an API-key proxy in front of ``mlflow server``.

Mounted at ``/api/mlflow`` (canonical), ``/mlflow`` and bare ``/api/2.0/…``; see
:mod:`hokusai.gateway.app`.
"""

from hokusai.gateway.app import Gateway, create_app
from hokusai.gateway.settings import GatewaySettings

__all__ = ["Gateway", "GatewaySettings", "create_app"]
