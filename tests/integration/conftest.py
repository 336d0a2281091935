"""The in-process registry (``mlflow server --app-name hokusai``), shared by the modules
that compare it with the proxy (test_inprocess_plugin.py) and sign in to its UI
(test_ui_signin.py): one MLflow start (5-27 s) for the session, not one per module."""

from __future__ import annotations

import pytest

from hokusai.gateway.keys import KeyStore
from hokusai.local import MlflowServer


@pytest.fixture(scope="session")
def keys_url(tmp_path_factory) -> str:
    """The key store the in-process registry reads."""
    return f"sqlite:///{tmp_path_factory.mktemp('inprocess-keys') / 'keys.db'}"


@pytest.fixture(scope="session")
def plugin(tmp_path_factory, keys_url):
    """``mlflow server --app-name hokusai`` (one worker, no job runner), up on /health."""
    KeyStore(keys_url).close()  # the table exists before the server opens the store
    server = MlflowServer(
        tmp_path_factory.mktemp("inprocess-mlflow"),
        app_name="hokusai",
        env={"HOKUSAI_GATEWAY_DB_URL": keys_url},
    )
    server.start()
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()
