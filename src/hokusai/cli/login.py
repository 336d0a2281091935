"""``hokusai login``: save the API key (and tracking URI) in the config file, mode 0600."""

from __future__ import annotations

from pathlib import Path

import click

from hokusai.config import LOCAL_TRACKING_URI


@click.command()
@click.option(
    "--api-key",
    prompt="API key",
    hide_input=True,
    help="The key to save (prompted for, hidden, when omitted).",
)
@click.option("--tracking-uri", help=f"The registry's MLflow URL, e.g. {LOCAL_TRACKING_URI}.")
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Config file to write  [default: $HOKUSAI_CONFIG or ~/.hokusai/config.toml]",
)
def login(api_key: str, tracking_uri: str | None, config_file: Path | None) -> None:
    """Save the API key (and tracking URI) for the SDK, the CLI and plain mlflow.

    Environment variables still win over the file (HOKUSAI_API_KEY, MLFLOW_TRACKING_URI).

    Example: hokusai login --api-key hk_live_… --tracking-uri https://registry.hokus.ai/api/mlflow
    """
    from hokusai.config import check_tracking_uri, write_config_file
    from hokusai.diagnostics import mask
    from hokusai.errors import HokusaiError

    api_key = api_key.strip()
    if not api_key or any(ch.isspace() for ch in api_key):
        raise click.BadParameter(
            "the key must be one word, like hk_live_<32 letters and digits>.",
            param_hint="--api-key",
        )
    values = {"api_key": api_key}
    try:
        if tracking_uri:
            values["tracking_uri"] = check_tracking_uri(tracking_uri, "--tracking-uri")
        path = write_config_file(values, config_file)
    except (HokusaiError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    saved = f"API key {mask(api_key)}" + (
        f" and tracking URI {values['tracking_uri']}" if tracking_uri else ""
    )
    click.echo(f"Saved {saved} to {path} (permissions 0600).")
    click.echo("Check the connection with `hokusai doctor`.")
