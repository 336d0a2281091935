"""``hokusai local up``: a development registry in the foreground."""

from __future__ import annotations

from pathlib import Path

import click

from hokusai.cli.options import data_dir_option, require_server_extra


@click.group()
def local() -> None:
    """Run a registry on this machine for development."""


@local.command()
@click.option("--port", default=5000, show_default=True, help="Port of the gateway.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@data_dir_option
def up(port: int, host: str, data_dir: Path) -> None:
    """Start MLflow and the gateway; print the variables to export; Ctrl-C stops both.

    A development key (scopes read, write, admin) is created on first start and kept
    in DATA_DIR/dev-key, so the exported key stays the same across restarts.
    """
    require_server_extra()
    from hokusai.local.mlflow_server import port_is_free
    from hokusai.local.stack import run_local_stack

    if not port_is_free(port, host):
        raise click.ClickException(
            f"Port {port} on {host} is already in use: stop what runs there or pass --port."
        )
    run_local_stack(data_dir, port, host)
