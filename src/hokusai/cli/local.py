"""``hokusai local up`` / ``down``: a development registry, in the foreground or not."""

from __future__ import annotations

from pathlib import Path

import click

from hokusai.cli.options import data_dir_option, require_server_extra
from hokusai.local.stack import DEFAULT_HOST, DEFAULT_PORT, DataDir


@click.group()
def local() -> None:
    """Run a registry on this machine for development."""


@local.command()
@click.option(
    "--port",
    default=DEFAULT_PORT,
    show_default=True,
    envvar="HOKUSAI_LOCAL_PORT",
    help="Port of the gateway.",
)
@click.option(
    "--host",
    default=DEFAULT_HOST,
    show_default=True,
    envvar="HOKUSAI_LOCAL_HOST",
    help="Interface to listen on.",
)
@click.option(
    "--detach",
    is_flag=True,
    help="Run in the background: return once the registry is ready (log in DATA_DIR/local.log).",
)
@data_dir_option
def up(port: int, host: str, detach: bool, data_dir: Path) -> None:
    """Start MLflow and the gateway; print the variables to export; Ctrl-C stops both.

    The variables are also written to DATA_DIR/env, for `source .hokusai/env` in any
    shell. A development key (scopes read, write, admin) is created on first start and
    kept in DATA_DIR/dev-key, so the exported key stays the same across restarts, as
    does the data. `hokusai local down` stops the registry, however it was started.
    """
    require_server_extra()
    from hokusai.local import background
    from hokusai.local.mlflow_server import port_is_free
    from hokusai.local.stack import run_local_stack

    data = DataDir(data_dir)
    already = background.running(data)
    if already is not None:
        if not detach:
            raise click.ClickException(
                f"A registry is already running for {data_dir} (pid {already.pid}, "
                f"{already.tracking_uri}): use it, or stop it with `hokusai local down`."
            )
        click.echo(f"A registry is already running for {data_dir} at {already.tracking_uri}.")
        _how_to_use(data_dir)
        return
    if not port_is_free(port, host):
        raise click.ClickException(
            f"Port {port} on {host} is already in use: stop what runs there or pass --port."
        )
    if not detach:
        run_local_stack(data_dir, port, host)
        return
    click.echo(f"Starting the registry in the background (log: {data.log_file})…")
    try:
        started = background.start(data, port, host)
    except background.BackgroundError as exc:
        raise click.ClickException(f"The registry did not start: {exc}") from None
    click.echo(f"Registry ready at {started.tracking_uri}")
    _how_to_use(data_dir)


def _how_to_use(data_dir: Path) -> None:
    click.echo(f"Settings for your shell: source {DataDir(data_dir).env_file}")
    click.echo("Stop it with: hokusai local down")


@local.command()
@data_dir_option
def down(data_dir: Path) -> None:
    """Stop the registry running for DATA_DIR, started with or without --detach."""
    from hokusai.local import background

    pid = background.stop(DataDir(data_dir))
    if pid is None:
        click.echo(f"No registry is running for {data_dir}.")
    else:
        click.echo(f"Stopped the registry of {data_dir} (pid {pid}).")
