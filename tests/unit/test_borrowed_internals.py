"""Alarms on the non-public parts of uvicorn and MLflow that the gateway relies on.

Each test fails, with the reason, as soon as an upgrade changes what the gateway
borrows, instead of the gateway misbehaving quietly:

- ``hokusai.gateway.server.GatewayServer`` overrides ``uvicorn.Server.main_loop``,
  ``on_tick`` and ``handle_exit`` (not uvicorn's public API; uvicorn is also bounded
  below its next minor version in ``pyproject.toml``);
- ``hokusai.gateway.mlflow_app.create_app`` reads MLflow's private ``_MLFLOW_SGI_NAME``
  (which web server ``mlflow server`` started) and ``STATIC_PREFIX_ENV_VAR``, and wraps
  ``mlflow.server.fastapi_app.app``.

MLflow's modules are read as text, not imported: importing ``mlflow.server`` costs
seconds, and the text is what the next MLflow release would change.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
from importlib.metadata import version
from pathlib import Path

import uvicorn

from hokusai.gateway.server import GatewayServer

UVICORN_CHANGED = (
    "hokusai.gateway.server.GatewayServer overrides uvicorn.Server.{name}, which is not "
    "uvicorn's public API, and uvicorn " + version("uvicorn") + " changed it ({what}). "
    "Check server.py against uvicorn's Server (or drop the override), then move the "
    "uvicorn bound in pyproject.toml."
)
MLFLOW_CHANGED = (
    "hokusai.gateway.mlflow_app relies on MLflow's non-public {name}, and MLflow "
    + version("mlflow")
    + " changed it ({what}): `mlflow server --app-name hokusai` may no longer refuse a "
    "gunicorn/waitress or --static-prefix start, or find MLflow's app. Check create_app."
)


def mlflow_source(relative: str) -> str:
    spec = importlib.util.find_spec("mlflow")
    assert spec is not None and spec.origin is not None, "mlflow is not installed"
    return (Path(spec.origin).parent / relative).read_text()


def test_the_uvicorn_methods_gateway_server_overrides_are_still_there_as_we_call_them():
    expected = {
        "main_loop": (True, ["self"]),
        "on_tick": (True, ["self", "counter"]),
        "handle_exit": (False, ["self", "sig", "frame"]),
    }
    for name, (is_coroutine, parameters) in expected.items():
        theirs = getattr(uvicorn.Server, name, None)
        assert theirs is not None, UVICORN_CHANGED.format(name=name, what="it is gone")
        found = (inspect.iscoroutinefunction(theirs), list(inspect.signature(theirs).parameters))
        assert found == (is_coroutine, parameters), UVICORN_CHANGED.format(
            name=name, what=f"async and parameters {found}, expected {(is_coroutine, parameters)}"
        )
        ours = getattr(GatewayServer, name)
        assert list(inspect.signature(ours).parameters) == parameters, name


def test_uvicorn_still_calls_them_where_gateway_server_expects():
    server = inspect.getsource(uvicorn.Server)
    calls = {
        "main_loop": "await self.main_loop()",  # serve(): between startup and shutdown
        "handle_exit": "signal.signal(sig, self.handle_exit)",  # SIGINT/SIGTERM land here
    }
    for name, call in calls.items():
        assert call in server, UVICORN_CHANGED.format(name=name, what=f"no `{call}`")
    # GatewayServer ticks once a second with counters that are multiples of 10, so that
    # each tick does uvicorn's once-a-second work (the Date header).
    assert "counter % 10 == 0" in inspect.getsource(uvicorn.Server.on_tick), UVICORN_CHANGED.format(
        name="on_tick", what="its once-a-second test is not counter % 10"
    )


def test_mlflow_server_still_names_its_web_server_in_mlflow_sgi_name():
    variables = mlflow_source("environment_variables.py")
    assert re.search(
        r'^_MLFLOW_SGI_NAME = _EnvironmentVariable\("_MLFLOW_SGI_NAME"', variables, re.M
    ), MLFLOW_CHANGED.format(name="_MLFLOW_SGI_NAME", what="not defined as before")
    server = mlflow_source("server/__init__.py")
    for name in ("uvicorn", "waitress", "gunicorn"):
        assert f'env_map[_MLFLOW_SGI_NAME.name] = "{name}"' in server, MLFLOW_CHANGED.format(
            name="_MLFLOW_SGI_NAME", what=f"`mlflow server` no longer sets it to {name!r}"
        )


def test_mlflow_static_prefix_variable_and_asgi_app_are_where_create_app_looks():
    handlers = mlflow_source("server/handlers.py")
    assert re.search(r"^STATIC_PREFIX_ENV_VAR = ", handlers, re.M), MLFLOW_CHANGED.format(
        name="mlflow.server.handlers.STATIC_PREFIX_ENV_VAR", what="not defined there"
    )
    server = mlflow_source("server/__init__.py")
    assert "env_map[STATIC_PREFIX_ENV_VAR] = " in server, MLFLOW_CHANGED.format(
        name="STATIC_PREFIX_ENV_VAR", what="`mlflow server --static-prefix` no longer sets it"
    )
    assert re.search(r"^app = ", mlflow_source("server/fastapi_app.py"), re.M), (
        MLFLOW_CHANGED.format(name="mlflow.server.fastapi_app.app", what="no module-level app")
    )
