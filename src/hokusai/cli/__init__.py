"""The ``hokusai`` command line."""

from __future__ import annotations

import click

from hokusai import __version__
from hokusai.cli.doctor import doctor
from hokusai.cli.gateway import gateway
from hokusai.cli.keys import keys
from hokusai.cli.local import local
from hokusai.cli.login import login
from hokusai.cli.model import model


@click.group()
@click.version_option(__version__, prog_name="hokusai")
def main() -> None:
    """Hokusai model registry: local development stack, API keys, models."""


main.add_command(local)
main.add_command(keys)
main.add_command(gateway)
main.add_command(model)
main.add_command(login)
main.add_command(doctor)

__all__ = ["main"]
