"""``hokusai keys``: create, list and revoke API keys in the gateway's store."""

from __future__ import annotations

from pathlib import Path

import click

from hokusai.cli.options import data_dir_option, require_server_extra

db_option = click.option(
    "--db",
    "db_url",
    envvar="HOKUSAI_GATEWAY_DB_URL",
    help="SQLAlchemy URL of the key store (default: the SQLite file in --data-dir).",
)


def _store(db_url: str | None, data_dir: Path):
    require_server_extra()
    from hokusai.gateway.keys import KeyStore
    from hokusai.local.stack import DataDir

    if db_url is None:
        data_dir.mkdir(parents=True, exist_ok=True)
        db_url = DataDir(data_dir.resolve()).keys_url
    return KeyStore(db_url)


@click.group()
def keys() -> None:
    """Manage API keys (stored hashed; a key's secret is shown once)."""


@keys.command()
@click.option("--name", required=True, help="Who or what the key is for.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(["read", "write", "admin"]),
    help="Repeat for several scopes.  [default: read, write]",
)
@click.option("--test", "environment", flag_value="test", help="Make an hk_test_ key.")
@click.option("--live", "environment", flag_value="live", default=True, help="Make an hk_live_ key.")
@db_option
@data_dir_option
def create(name: str, scopes: tuple[str, ...], environment: str, db_url: str | None, data_dir: Path) -> None:
    """Create a key and print its secret (the only time it is shown)."""
    store = _store(db_url, data_dir)
    key, secret = store.create(name, scopes or ("read", "write"), environment=environment)
    click.echo(f"Created {key.id} ({key.name}) with scopes: {', '.join(sorted(key.scopes))}")
    click.echo(secret)


@keys.command("list")
@db_option
@data_dir_option
def list_keys(db_url: str | None, data_dir: Path) -> None:
    """List keys: id, name, prefix, scopes, status (never the secret)."""
    for key in _store(db_url, data_dir).list():
        status = "revoked" if key.is_revoked else "expired" if key.is_expired() else "active"
        scopes = ",".join(sorted(key.scopes))
        click.echo(f"{key.id}  {key.name}  {key.display_prefix}…  {scopes}  {status}")


@keys.command()
@click.argument("key_id")
@db_option
@data_dir_option
def revoke(key_id: str, db_url: str | None, data_dir: Path) -> None:
    """Revoke a key; it is refused from the next request on."""
    from hokusai.gateway.keys import KeyNotFound

    try:
        key = _store(db_url, data_dir).revoke(key_id)
    except KeyNotFound:
        raise click.ClickException(f"No key with id {key_id!r}; see `hokusai keys list`.") from None
    click.echo(f"Revoked {key.id} ({key.name})")
