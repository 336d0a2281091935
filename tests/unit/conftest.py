"""Fixtures shared by the unit tests."""

from __future__ import annotations

import pytest

from hokusai.gateway.keys import KeyStore

CONFIGURING_VARIABLES = (
    "HOKUSAI_API_KEY",
    "MLFLOW_TRACKING_URI",
    "HOKUSAI_API_ENDPOINT",
    "MLFLOW_TRACKING_TOKEN",
)


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No key or URI in the environment, and an empty config file; returns its path."""
    for name in CONFIGURING_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    config = tmp_path / "config.toml"
    monkeypatch.setenv("HOKUSAI_CONFIG", str(config))
    return config


@pytest.fixture
def sdk_retry_defaults(monkeypatch):
    """The SDK's own bounded retries, not the test session's faster ones."""
    from hokusai._retries import BOUNDED_RETRIES

    for name in BOUNDED_RETRIES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def store(tmp_path):
    """An empty gateway key store in a SQLite file of the test's own."""
    store = KeyStore(f"sqlite:///{tmp_path / 'keys.db'}")
    yield store
    store.close()
