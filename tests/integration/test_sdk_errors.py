"""Real gateway failures reach the user as Hokusai errors naming the fix (never INTERNAL_ERROR)."""

from __future__ import annotations

import pytest

from hokusai import ModelRegistry
from hokusai.errors import AuthenticationError, PermissionDeniedError, RegistryNotFoundError
from hokusai.tracking import ExperimentManager


def create_key(local_registry, *scopes: str) -> tuple[str, str]:
    return local_registry.create_key(*scopes, prefix="sdk")


@pytest.fixture(scope="module")
def read_only_key(local_registry) -> str:
    return create_key(local_registry, "read")[1]


@pytest.fixture(scope="module")
def revoked_key(local_registry) -> str:
    key_id, secret = create_key(local_registry, "read", "write")
    local_registry.hokusai("keys", "revoke", key_id)
    return secret


def test_no_key_says_none_is_configured(local_registry, monkeypatch, tmp_path):
    monkeypatch.delenv("HOKUSAI_API_KEY")
    monkeypatch.setenv("HOKUSAI_CONFIG", str(tmp_path / "none.toml"))
    with pytest.raises(AuthenticationError) as info:
        ModelRegistry().get_tokenized_model("anything")
    assert str(info.value) == (
        f"Authentication failed at {local_registry.tracking_uri}: no API key is configured. Set "
        "a valid key with `export HOKUSAI_API_KEY=<key>` or `hokusai login --api-key <key>` "
        "(or pass api_key=...)."
    )


def test_revoked_key_is_named_with_its_source(local_registry, revoked_key):
    with pytest.raises(AuthenticationError) as info:
        ModelRegistry(api_key=revoked_key).list_models_by_token("T")
    text = str(info.value)
    assert "has been revoked" in text and "The key came from argument." in text
    assert "INTERNAL_ERROR" not in text


def test_unknown_key(local_registry):
    with pytest.raises(AuthenticationError, match="API key not recognised"):
        ModelRegistry(api_key="hk_test_" + "x" * 32).list_models_by_token("T")


def test_read_only_key_reads_but_cannot_register(local_registry, read_only_key):
    registry = ModelRegistry(api_key=read_only_key)
    assert registry.list_models_by_token("NOBODY") == []
    with pytest.raises(PermissionDeniedError) as info:
        registry.register_tokenized_model(
            "mlflow-artifacts:/0/x/model", "ro-model", "RO", "accuracy", 0.5
        )
    assert info.value.scope == "write"
    assert str(info.value).startswith(
        f"Permission denied at {local_registry.tracking_uri}: API key "
    )


def test_read_only_key_cannot_start_a_run(local_registry, read_only_key):
    manager = ExperimentManager("Default", api_key=read_only_key)
    with pytest.raises(PermissionDeniedError) as info, manager.start_run():
        pass
    assert info.value.scope == "write"
    assert "lacks the 'write' scope" in str(info.value)
    assert "hokusai keys create --name <name> --scope write" in str(info.value)


def test_typo_uri_names_the_used_and_the_right_uri(local_registry):
    typo = local_registry.url + "/api/mlflow-typo"
    with pytest.raises(RegistryNotFoundError) as info:
        ModelRegistry(tracking_uri=typo).get_tokenized_model("anything")
    text = str(info.value)
    assert text.startswith(f"{typo} is not the MLflow API of a Hokusai registry (HTTP 404")
    assert f"Use the registry's tracking URI, {local_registry.url}/api/mlflow" in text
