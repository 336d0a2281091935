"""The ``hokusai`` command line."""

from __future__ import annotations

import click

from hokusai import __version__
from hokusai.cli.gateway import gateway
from hokusai.cli.keys import keys
from hokusai.cli.local import local


@click.group()
@click.version_option(__version__, prog_name="hokusai")
def main() -> None:
    """Hokusai model registry: local development stack, API keys, models."""


main.add_command(local)
main.add_command(keys)
main.add_command(gateway)

__all__ = ["main"]
