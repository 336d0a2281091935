"""ModelRegistry against a real MLflow behind the real gateway (the session's local registry)."""

from __future__ import annotations

import uuid
import warnings

import mlflow
import pytest
from mlflow import MlflowClient
from sklearn.dummy import DummyClassifier

from hokusai import ModelRegistry
from hokusai.errors import ModelNotFoundError, PromotionError, RegistryUnavailableError


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def experiment_id(local_registry):
    """A scratch experiment, deleted afterwards (other tests expect only 'Default' active)."""
    mlflow.set_tracking_uri(local_registry.tracking_uri)
    experiment_id = MlflowClient().create_experiment(unique("sdk-registry"))
    yield experiment_id
    MlflowClient().delete_experiment(experiment_id)


@pytest.fixture(scope="module")
def logged_model(experiment_id) -> str:
    """One logged sklearn model (models:/m-…) with an accuracy metric on its run."""
    with mlflow.start_run(experiment_id=experiment_id):
        mlflow.log_metric("accuracy", 0.91)
        info = mlflow.sklearn.log_model(
            DummyClassifier().fit([[0], [1]], [0, 1]),
            name="model",
            pip_requirements=["scikit-learn"],
        )
    return info.model_uri


@pytest.fixture
def registry(local_registry) -> ModelRegistry:
    return ModelRegistry()


def versions(name: str) -> list[str]:
    return sorted(v.version for v in MlflowClient().search_model_versions(f"name = '{name}'"))


def test_register_is_typed_and_idempotent(registry, logged_model):
    name = unique("idem")
    first = registry.register_tokenized_model(
        logged_model, name, "IDEM-1", "accuracy", 0.85, {"team": "growth"}
    )
    again = registry.register_tokenized_model(logged_model, name, "IDEM-1", "accuracy", 0.85)
    assert (first.name, first.version, first.token_id, first.metric_name) == (
        name,
        "1",
        "IDEM-1",
        "accuracy",
    )
    assert first.baseline_value == 0.85 and first.tags == {"team": "growth"}
    assert first.run_id and first.model_id == logged_model.removeprefix("models:/")
    assert again.version == first.version
    assert versions(name) == ["1"]
    other_token = registry.register_tokenized_model(logged_model, name, "IDEM-2", "accuracy", 0.85)
    assert other_token.version == "2"


def test_old_guide_call_registers_with_a_warning(registry, logged_model):
    name = unique("oldguide")
    with pytest.warns(
        DeprecationWarning, match="use model_name=..., metric_name=..., baseline_value=..."
    ):
        model = registry.register_tokenized_model(
            model_uri=logged_model,
            name=name,
            token_id="OLD",
            benchmark_metric="accuracy",
            benchmark_value="0.85",
        )
    assert model.baseline_value == 0.85
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert registry.get_tokenized_model(name).version == model.version  # latest, no version


def test_get_latest_and_specific_versions(registry, logged_model):
    name = unique("latest")
    registry.register_tokenized_model(logged_model, name, "LAT-1", "accuracy", 0.8)
    registry.register_tokenized_model(logged_model, name, "LAT-2", "accuracy", 0.9)
    assert registry.get_tokenized_model(name).token_id == "LAT-2"
    assert registry.get_tokenized_model(name, version=1).token_id == "LAT-1"
    with pytest.raises(ModelNotFoundError):
        registry.get_tokenized_model(name, version=9)
    with pytest.raises(ModelNotFoundError, match="No registered model named"):
        registry.get_tokenized_model(unique("missing"))


def test_list_by_token_spans_models(registry, logged_model):
    token = unique("TOK")
    a, b = unique("list-a"), unique("list-b")
    registry.register_tokenized_model(logged_model, b, token, "accuracy", 0.8)
    registry.register_tokenized_model(logged_model, a, token, "accuracy", 0.8)
    registry.register_tokenized_model(logged_model, a, "OTHER", "accuracy", 0.8)
    found = registry.list_models_by_token(token)
    assert [(m.name, m.version) for m in found] == sorted([(a, "1"), (b, "1")])
    assert registry.list_models_by_token(unique("NONE")) == []


def test_baseline_lineage_promote_and_rollback(registry, logged_model):
    name = unique("lineage")
    baseline = registry.register_baseline(logged_model, name, "accuracy", 0.8, token_id="LIN")
    assert (baseline.role, baseline.aliases, baseline.baseline_value) == (
        "baseline",
        ("baseline",),
        0.8,
    )
    assert (
        registry.register_baseline(logged_model, name, "accuracy", 0.8, token_id="LIN").version
        == "1"
    )
    v2 = registry.register_tokenized_model(logged_model, name, "LIN", "accuracy", 0.8)
    v3 = registry.register_tokenized_model(logged_model, name, "LIN-B", "accuracy", 0.8)
    assert registry.promote(name, v2.version).previous_version is None
    assert registry.promote(name, v2.version).version == "2"  # no-op, history unchanged
    promoted = registry.promote(name, v3.version)
    assert (promoted.version, promoted.previous_version, promoted.model_uri) == (
        "3",
        "2",
        f"models:/{name}@production",
    )
    lineage = registry.get_model_lineage(name)
    assert [e.version for e in lineage.versions] == ["1", "2", "3"]
    assert [e.role for e in lineage.versions] == ["baseline", "tokenized", "tokenized"]
    assert lineage.versions[0].metrics == {"accuracy": 0.91}
    assert lineage.versions[0].run_id == baseline.run_id
    assert lineage.aliases == {"baseline": "1", "production": "3"}
    assert lineage.promotions == {"production": ("2", "3")}
    assert lineage.versions[2].aliases == ("production",)
    back = registry.rollback(name)
    assert (back.version, back.previous_version) == ("2", "3")
    assert MlflowClient().get_model_version_by_alias(name, "production").version == "2"
    with pytest.raises(PromotionError, match="no earlier promoted version"):
        registry.rollback(name)
    with pytest.raises(ModelNotFoundError):
        registry.promote(name, 42)


def test_failure_after_create_leaves_no_half_registered_version(
    registry, logged_model, monkeypatch
):
    import requests

    name = unique("atomic")
    registry.register_tokenized_model(logged_model, name, "ATOM-0", "accuracy", 0.8)

    def network_drops(*args, **kwargs):
        raise requests.ConnectionError("Connection aborted: RemoteDisconnected")

    # The alias step of register_baseline runs after create_model_version.
    monkeypatch.setattr(registry._client, "set_registered_model_alias", network_drops)
    with pytest.raises(RegistryUnavailableError) as info:
        registry.register_baseline(logged_model, name, "accuracy", 0.8, token_id="ATOM")
    assert "Version 2 of" in str(info.value) and "deleted again" in str(info.value)
    assert versions(name) == ["1"]
    monkeypatch.undo()
    retried = registry.register_baseline(logged_model, name, "accuracy", 0.8, token_id="ATOM")
    assert retried.aliases == ("baseline",)
    assert versions(name) == ["1", "3"]


def test_upload_model_directory_is_content_addressed(registry, tmp_path, experiment_id):
    path = tmp_path / "saved"
    mlflow.sklearn.save_model(
        DummyClassifier().fit([[0], [1]], [0, 1]), path, pip_requirements=["scikit-learn"]
    )
    seen: list[tuple[str, int, int]] = []
    experiment = MlflowClient().get_experiment(experiment_id).name
    uri = registry.upload_model_directory(path, experiment, progress=lambda *a: seen.append(a))
    assert uri.startswith("models:/m-")
    assert seen[-1][1] == seen[-1][2] and "MLmodel" in [s[0] for s in seen]
    assert registry.upload_model_directory(path, experiment) == uri
    loaded = mlflow.sklearn.load_model(uri)
    assert list(loaded.predict([[0]])) in ([0], [1])
