"""``hokusai keys``: create, list and revoke API keys in the gateway's store."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
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


@contextlib.contextmanager
def _writing():
    """A key store that cannot be written is a one-line error, not a traceback."""
    from sqlalchemy.exc import OperationalError

    try:
        yield
    except OperationalError as exc:
        raise click.ClickException(
            f"Cannot write to the key store ({exc.orig}): check that the database file and "
            "its folder are writable and that no other process holds a lock on it."
        ) from None


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
@click.option(
    "--live", "environment", flag_value="live", default=True, help="Make an hk_live_ key."
)
@click.option(
    "--expires-in-days",
    type=click.FloatRange(min=0, min_open=True),
    help="The key stops working this many days from now.",
)
@click.option(
    "--expires-at",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%z"]),
    help="The key stops working at this time (UTC unless an offset is given).",
)
@db_option
@data_dir_option
def create(
    name: str,
    scopes: tuple[str, ...],
    environment: str,
    expires_in_days: float | None,
    expires_at: datetime | None,
    db_url: str | None,
    data_dir: Path,
) -> None:
    """Create a key and print its secret (the only time it is shown)."""
    _expiry(expires_in_days, expires_at)  # refuse bad values before opening the store
    store = _store(db_url, data_dir)
    expiry = _expiry(expires_in_days, expires_at)  # counted from now, not before the import
    with _writing():
        key, secret = store.create(
            name, scopes or ("read", "write"), environment=environment, expires_at=expiry
        )
    until = f", expires {key.expires_at.isoformat(timespec='seconds')}" if key.expires_at else ""
    click.echo(f"Created {key.id} ({key.name}) with scopes: {', '.join(sorted(key.scopes))}{until}")
    click.echo(secret)


def _expiry(in_days: float | None, at: datetime | None) -> datetime | None:
    if in_days is not None and at is not None:
        raise click.UsageError("Give --expires-in-days or --expires-at, not both.")
    now = datetime.now(UTC)
    if in_days is not None:
        return now + timedelta(days=in_days)
    if at is None:
        return None
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    if at <= now:
        raise click.BadParameter(f"{at.isoformat()} is in the past.", param_hint="--expires-at")
    return at.astimezone(UTC)


@keys.command("list")
@db_option
@data_dir_option
def list_keys(db_url: str | None, data_dir: Path) -> None:
    """List keys: id, name, prefix, scopes, status (never the secret)."""
    for key in _store(db_url, data_dir).list():
        status = "revoked" if key.is_revoked else "expired" if key.is_expired() else "active"
        scopes = ",".join(sorted(key.scopes))
        until = (
            f"  expires {key.expires_at.isoformat(timespec='seconds')}" if key.expires_at else ""
        )
        click.echo(f"{key.id}  {key.name}  {key.display_prefix}…  {scopes}  {status}{until}")


@keys.command()
@click.argument("key_id")
@db_option
@data_dir_option
def revoke(key_id: str, db_url: str | None, data_dir: Path) -> None:
    """Revoke a key; it is refused from the next request on."""
    from hokusai.gateway.keys import KeyNotFound

    try:
        with _writing():
            key = _store(db_url, data_dir).revoke(key_id)
    except KeyNotFound:
        raise click.ClickException(f"No key with id {key_id!r}; see `hokusai keys list`.") from None
    click.echo(f"Revoked {key.id} ({key.name})")
