"""The Hokusai registry gateway: an API-key proxy in front of ``mlflow server``.

Mounted at ``/api/mlflow`` (canonical), ``/mlflow`` and bare ``/api/2.0/…``; see
`hokusai.gateway.app`. Names are imported lazily, so reading
`hokusai.gateway.settings` (e.g. for CLI help) does not load httptools or SQLAlchemy.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hokusai.gateway.app import create_app
    from hokusai.gateway.core import Gateway
    from hokusai.gateway.settings import GatewaySettings

_EXPORTS = {
    "Gateway": "hokusai.gateway.core",
    "create_app": "hokusai.gateway.app",
    "GatewaySettings": "hokusai.gateway.settings",
}

__all__ = ["Gateway", "GatewaySettings", "create_app"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
