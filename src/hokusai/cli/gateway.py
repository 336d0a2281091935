"""``hokusai gateway serve``: the gateway on its own, for deployments.

Every flag is a field of `hokusai.gateway.settings.GatewaySettings` (help text
included) and can equally be given as its ``HOKUSAI_GATEWAY_*`` variable; a flag wins
over the variable.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from typing import Any

import click

from hokusai.cli.options import require_server_extra

# flag -> settings field; the field's description is the flag's help.
_FLAGS: dict[str, tuple[str, Any]] = {
    "--mlflow-url": ("mlflow_url", str),
    "--db": ("db_url", str),
    "--host": ("host", str),
    "--port": ("port", int),
    "--workers": ("workers", int),
    "--connect-timeout": ("connect_timeout", float),
    "--read-timeout": ("read_timeout", float),
    "--total-timeout": ("total_timeout", float),
    "--log-level": ("log_level", click.Choice(["debug", "info", "warning", "error"])),
}


def _setting(field: str) -> tuple[str, str, Any]:
    """(description, environment variable, default) of a settings field."""
    env = f"HOKUSAI_GATEWAY_{field.upper()}"
    try:  # the settings module is the source of truth; it needs the server extra
        from hokusai.gateway.settings import GatewaySettings
    except ImportError:
        return f"See {env} (in a clone: python -m pip install '.[server]').", env, None
    info = GatewaySettings.model_fields[field]
    return info.description or "", env, info.default


class _SettingOption(click.Option):
    """An option whose help and default are the settings field's, read only when asked."""

    def __init__(self, *args: Any, field: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.field = field

    @property
    def setting(self) -> tuple[str, str, Any]:
        """(description, ``HOKUSAI_GATEWAY_*`` variable, default): what ``--help`` shows."""
        return _setting(self.field)

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        if self.help is None:
            description, env, default = self.setting
            shown = "" if default is None else f"  [default: {default}]"
            self.help = f"{description} (env {env}){shown}"
        return super().get_help_record(ctx)


def _options(func):
    for flag, (field, kind) in reversed(_FLAGS.items()):
        option = click.option(flag, field, cls=_SettingOption, field=field, type=kind, default=None)
        func = option(func)
    return func


@click.group()
def gateway() -> None:
    """Run the API-key gateway in front of an existing MLflow server."""


@gateway.command()
@_options
def serve(**flags: Any) -> None:
    """Serve the gateway with uvicorn; settings also come from HOKUSAI_GATEWAY_* variables.

    Logs are JSON lines on stdout (one access line per request, with request id and
    key id, never a key). With --workers above 1, /metrics sums all workers.
    """
    require_server_extra()
    import uvicorn
    from pydantic import ValidationError

    from hokusai.gateway.access_log import log_config
    from hokusai.gateway.keys import KeyStore
    from hokusai.gateway.metrics import MULTIPROC_ENV
    from hokusai.gateway.settings import GatewaySettings

    try:
        settings = GatewaySettings(**{k: v for k, v in flags.items() if v is not None})
    except ValidationError as exc:
        raise click.ClickException(f"Invalid gateway settings:\n{exc}") from None
    try:  # fail now, not on the first request; creates the table once, before workers race
        KeyStore(settings.db_url).close()
    except Exception as exc:
        raise click.ClickException(
            f"Cannot open the key store {settings.db_url!r}: {type(exc).__name__}: {exc}"
        ) from None
    # Workers build their own app from the environment: hand them the settings that way.
    os.environ.update(settings.to_env())
    if settings.workers > 1 and not os.environ.get(MULTIPROC_ENV):
        os.environ[MULTIPROC_ENV] = tempfile.mkdtemp(prefix="hokusai-gateway-metrics-")
    options: dict[str, Any] = {  # uvicorn.run() and uvicorn.Config() take the same
        "factory": True,
        "host": settings.host,
        "port": settings.port,
        "workers": settings.workers,
        "log_config": log_config(settings.log_level),
        "log_level": settings.log_level,
        "access_log": False,
    }
    if settings.workers > 1:
        uvicorn.run("hokusai.gateway:create_app", **options)
        return
    # One worker (the default): uvicorn.run()'s own path, with a server that wakes
    # once a second when idle instead of ten times (hokusai.gateway.server).
    from hokusai.gateway.server import GatewayServer

    server = GatewayServer(uvicorn.Config("hokusai.gateway:create_app", **options))
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    if not server.started:
        sys.exit(3)  # uvicorn's STARTUP_FAILURE
