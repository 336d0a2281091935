"""Options shared by several commands (one definition, one help text)."""

from __future__ import annotations

from pathlib import Path

import click

DEFAULT_DATA_DIR = ".hokusai"

data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_DATA_DIR,
    show_default=True,
    envvar="HOKUSAI_DATA_DIR",
    help="Where the local registry keeps MLflow's database, artifacts and the key store.",
)


def require_server_extra() -> None:
    """Fail with the install command when the server-side dependencies are missing."""
    try:
        import httptools  # noqa: F401
        import sqlalchemy  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise click.ClickException(
            f"This command needs the server extra ({exc.name} is missing): "
            "in your clone of hokusai-ml-platform run python -m pip install '.[server]' "
            "(see the Install page)"
        ) from exc
