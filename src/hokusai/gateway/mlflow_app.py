"""In-process mode: the gateway's rules inside ``mlflow server``, as an MLflow app plugin.

::

    HOKUSAI_GATEWAY_DB_URL=sqlite:////var/lib/hokusai/keys.db \\
        mlflow server --app-name hokusai --backend-store-uri ... --artifacts-destination ...

How MLflow loads it (MLflow 3.17, ``mlflow/server/__init__.py``): ``--app-name`` is a
choice among the ``mlflow.app`` entry points (``hokusai`` is declared in this package's
``pyproject.toml``); ``_run_server`` resolves it to
``hokusai.gateway.mlflow_app:create_app``, sees a plain function (``_is_factory``) and
starts uvicorn with ``--factory``, so every uvicorn worker calls `create_app`
and serves the ASGI app it returns: the rules core
(`Gateway`) wrapped around MLflow's own (FastAPI around
Flask) app, where the proxy (``hokusai gateway serve``) wraps an HTTP client to MLflow.
The same rules, errors and key store, without the extra hop.

What differs from the proxy, by design:

- MLflow receives the request in the same process: credentials are removed from what
  MLflow's handlers see and the key's id is added, by the same header policy as the
  proxy (`headers`); the ``api_key`` parameter is also removed
  from the scope uvicorn's access log reads. Hop-by-hop headers stay: MLflow sits on
  the client's own connection.
- The client's ``Host`` reaches MLflow's own Host check (``--allowed-hosts``).
- ``/health`` and ``/metrics`` answer as the proxy's do; ``/ready`` checks the key
  store only (MLflow is this process).
- The MLflow UI (``/``, ``/static-files``, ``/ajax-api``, ``/graphql``…) is served
  from MLflow's app behind the same sign-in as the proxy's (`signin`); MLflow's
  other non-API routes get the proxy's JSON 404.
- Only uvicorn (MLflow's default server) is supported; ``--gunicorn-opts``,
  ``--waitress-opts`` and ``--static-prefix`` are refused at start-up.

Settings are the proxy's ``HOKUSAI_GATEWAY_*`` variables; those about reaching MLflow
over HTTP (URL, timeouts, pool, host, port, workers) do not apply.
"""

from __future__ import annotations

import logging
import os
import sys

from hokusai.gateway import access_log
from hokusai.gateway.core import Gateway
from hokusai.gateway.keys import KeyStore
from hokusai.gateway.settings import GatewaySettings

NOT_UVICORN = (
    "The hokusai app plugin runs under uvicorn, MLflow's default server: drop "
    "--gunicorn-opts / --waitress-opts from `mlflow server --app-name hokusai`."
)
STATIC_PREFIX = (
    "The hokusai app plugin serves MLflow's API at /api/mlflow, /mlflow and / itself: "
    "drop --static-prefix from `mlflow server --app-name hokusai`."
)
STORE_FAILED = "Cannot open the key store {url!r}: {error}"


def _json_access_log(level: str) -> None:
    """The proxy's JSON lines on stdout for ``hokusai.*``, unless logging is set up already."""
    logger = logging.getLogger("hokusai")
    if logger.handlers:
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(access_log.JsonFormatter())
    logger.addHandler(handler)
    logger.setLevel(level.upper())
    logger.propagate = False


def create_app() -> Gateway:
    """The app ``mlflow server --app-name hokusai`` serves (called once per uvicorn worker).

    Settings come from the ``HOKUSAI_GATEWAY_*`` variables (the key store from
    ``HOKUSAI_GATEWAY_DB_URL``), as for ``hokusai gateway serve``.
    """
    # Non-public MLflow names (`mlflow server` sets _MLFLOW_SGI_NAME to the web server it
    # starts, and STATIC_PREFIX_ENV_VAR for --static-prefix);
    # tests/unit/test_borrowed_internals.py fails, saying why, when MLflow changes them.
    from mlflow.environment_variables import _MLFLOW_SGI_NAME

    if _MLFLOW_SGI_NAME.get() not in (None, "uvicorn"):
        raise RuntimeError(NOT_UVICORN)
    from mlflow.server.handlers import STATIC_PREFIX_ENV_VAR

    if os.environ.get(STATIC_PREFIX_ENV_VAR):
        raise RuntimeError(STATIC_PREFIX)
    settings = GatewaySettings()
    try:
        store = KeyStore(settings.db_url)
    except Exception as exc:
        raise RuntimeError(
            STORE_FAILED.format(url=settings.db_url, error=f"{type(exc).__name__}: {exc}")
        ) from None
    if settings.access_log:
        _json_access_log(settings.log_level)

    from mlflow.server.fastapi_app import app as mlflow_asgi_app  # ~10 s: MLflow's server

    return Gateway(mlflow_asgi_app, settings, store)
