"""The key store, on SQLite and on a real Postgres, and `hokusai keys create` expiry."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from hokusai.gateway.keys import KeyNotFound, KeyStore, api_keys, engine_url, hash_key


@pytest.fixture(scope="module")
def postgres_url(tmp_path_factory):
    """A real PostgreSQL from the `pgserver` wheel (skipped, with the reason, if it can't start)."""
    os.environ.setdefault("XDG_RUNTIME_DIR", str(tmp_path_factory.mktemp("xdg")))
    try:
        import pgserver
    except ImportError as exc:
        pytest.skip(f"Postgres key-store tests need `pgserver` and `psycopg[binary]`: {exc}")
    try:
        server = pgserver.get_server(tmp_path_factory.mktemp("pg"), cleanup_mode="stop")
    except Exception as exc:  # pragma: no cover - depends on the machine
        print(f"cannot start Postgres from pgserver: {exc}")
        pytest.skip(f"cannot start Postgres from pgserver: {exc}")
    yield server.get_uri()  # postgresql://postgres:@/postgres?host=<socket dir>
    server.cleanup()


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path):
    if request.param == "sqlite":
        store = KeyStore(f"sqlite:///{tmp_path / 'keys.db'}")
    else:
        store = KeyStore(request.getfixturevalue("postgres_url"))
        with store.engine.begin() as conn:
            conn.execute(api_keys.delete())
    yield store
    store.close()


def test_created_key_verifies_and_only_its_hash_is_stored(store):
    key, secret = store.create("ci", ("read",), environment="test")
    assert secret.startswith("hk_test_") and len(secret) == 40
    assert store.verify(secret) == key
    assert store.verify(secret[:-1] + ("a" if secret[-1] != "a" else "b")) is None
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(api_keys)).one()
    assert secret not in [str(v) for v in row]
    assert row.key_hash == hash_key(secret)


def test_scopes_revocation_and_expiry_are_read_on_every_verify(store):
    key, secret = store.create("w", ("read", "write"))
    assert store.verify(secret).allows("write")
    store.revoke(key.id)
    assert store.verify(secret).is_revoked
    soon = datetime.now(UTC) + timedelta(seconds=1)
    key2, secret2 = store.create("e", ("read",), expires_at=soon)
    assert not store.verify(secret2).is_expired()
    assert store.verify(secret2).expires_at == soon
    assert store.verify(secret2).is_expired(soon + timedelta(seconds=1))
    with pytest.raises(KeyNotFound):
        store.revoke("key_missing")
    assert [k.id for k in store.list()] == [key.id, key2.id]
    store.ping()


def _counting_reads(store, monkeypatch) -> list:
    reads, real = [], store._sqlite_row
    monkeypatch.setattr(
        store, "_sqlite_row", lambda sql, digest: reads.append(digest) or real(sql, digest)
    )
    return reads


def test_sqlite_reads_a_key_again_as_soon_as_anyone_wrote_to_the_store(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'keys.db'}"
    store = KeyStore(url)
    key, secret = store.create("c", ("read",))
    reads = _counting_reads(store, monkeypatch)
    assert store.verify(secret) == key and store.verify(secret) == key
    assert len(reads) == 1  # the database did not change in between
    revoke = [sys.executable, "-m", "hokusai", "keys", "revoke", key.id, "--db", url]
    subprocess.run(revoke, check=True, capture_output=True, timeout=120)  # another process
    assert store.verify(secret).is_revoked
    KeyStore(url).create("other", ("read",))  # any write, through another connection
    assert store.verify(secret).is_revoked
    assert len(reads) == 3
    assert store.verify("hk_live_" + "Q" * 32) is None  # unknown keys are never remembered
    assert store.verify("hk_live_" + "Q" * 32) is None
    assert len(reads) == 5
    store.close()


def test_sqlite_in_wal_mode_reads_the_key_on_every_verify(tmp_path, monkeypatch):
    import sqlite3

    db = tmp_path / "keys.db"
    store = KeyStore(f"sqlite:///{db}")
    key, secret = store.create("c", ("read",))
    with sqlite3.connect(db) as conn:  # the change counter no longer moves on every commit
        assert conn.execute("PRAGMA journal_mode=WAL").fetchone() == ("wal",)
    reads = _counting_reads(store, monkeypatch)
    assert store.verify(secret) == key and store.verify(secret) == key
    KeyStore(f"sqlite:///{db}").revoke(key.id)
    assert store.verify(secret).is_revoked
    assert len(reads) == 3
    store.close()


def test_unknown_scope_is_refused(store):
    with pytest.raises(ValueError, match="Unknown scope"):
        store.create("x", ("root",))


def test_plain_postgres_urls_use_psycopg3():
    assert engine_url("postgresql://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert engine_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert engine_url("postgresql+psycopg2://h/db") == "postgresql+psycopg2://h/db"
    assert engine_url("sqlite:///x.db") == "sqlite:///x.db"


def _cli(*args: str, data_dir) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hokusai", "keys", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "HOKUSAI_GATEWAY_DB_URL"},
        timeout=60,
    )


def test_keys_create_with_expiry(tmp_path):
    made = _cli("create", "--name", "short", "--expires-in-days", "0.0001", data_dir=tmp_path)
    assert made.returncode == 0, made.stderr
    assert "expires 20" in made.stdout
    secret = made.stdout.split()[-1]
    store = KeyStore(f"sqlite:///{tmp_path / 'keys.db'}")
    key = store.verify(secret)
    assert key is not None and key.expires_at is not None
    lifetime = (key.expires_at - key.created_at).total_seconds()
    assert 7.5 < lifetime < 9.0  # 0.0001 days = 8.64 s
    assert not key.is_expired(key.created_at) and key.is_expired(key.expires_at)
    expired = KeyStore(store.url)
    with expired.engine.begin() as conn:  # as if the time had come
        conn.execute(api_keys.update().values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert store.verify(secret).is_expired()
    assert "expired" in _cli("list", data_dir=tmp_path).stdout

    at = _cli("create", "--name", "dated", "--expires-at", "2999-01-02", data_dir=tmp_path)
    assert at.returncode == 0, at.stderr
    assert "expires 2999-01-02T00:00:00+00:00" in at.stdout

    past = _cli("create", "--name", "old", "--expires-at", "2020-01-01", data_dir=tmp_path)
    assert past.returncode == 2 and "is in the past" in past.stderr
    both = _cli(
        "create", "--name", "b", "--expires-at", "2999-01-01", "--expires-in-days", "1",
        data_dir=tmp_path,
    )  # fmt: skip
    assert both.returncode == 2 and "not both" in both.stderr


def test_gateway_on_postgres_checks_keys_and_revocation_per_request(postgres_url, tmp_path):
    from tests.support.client import request
    from tests.support.fake_mlflow import FakeMlflow
    from tests.support.servers import ThreadedGateway
    from tests.support.signin import browser

    with FakeMlflow() as fake, ThreadedGateway(fake.url, postgres_url) as gateway:
        assert not gateway.store.is_local
        key_id, secret = gateway.key("read")
        target = "/api/mlflow/api/2.0/mlflow/runs/get?run_id=1"
        assert request(gateway.url, "GET", target, {"X-API-Key": secret}).status == 200
        assert fake.seen[-1].header("X-Hokusai-Key-Id") == [key_id]
        denied = request(
            gateway.url, "POST", "/api/2.0/mlflow/runs/create", {"X-API-Key": secret}, b"{}"
        )
        assert denied.status == 403 and "'write' scope" in denied.json()["message"]
        signed_in = browser(gateway.url)  # the UI's session, in the same database
        assert signed_in.sign_in(secret).status == 303
        assert signed_in.get("/api/mlflow/").status == 200
        gateway.store.revoke(key_id)
        assert request(gateway.url, "GET", target, {"X-API-Key": secret}).status == 401
        assert signed_in.get("/api/mlflow/").status == 401
        assert request(gateway.url, "GET", "/ready").json()["checks"]["key_store"] == "ok"
