"""PerformanceTracker.detect_delta_one against the session's real registry."""

from __future__ import annotations

import uuid

import mlflow
import pytest
from mlflow import MlflowClient
from sklearn.dummy import DummyClassifier

from hokusai import ModelRegistry
from hokusai.errors import ModelNotFoundError, ValidationError
from hokusai.tracking import PerformanceTracker


def logged(accuracy: float | None) -> str:
    """A logged model whose run logged ``accuracy`` (or no metric)."""
    with mlflow.start_run():
        if accuracy is not None:
            mlflow.log_metric("accuracy", accuracy)
        info = mlflow.sklearn.log_model(
            DummyClassifier().fit([[0], [1]], [0, 1]), name="model", pip_requirements=["sklearn"]
        )
    return info.model_uri


@pytest.fixture(scope="module")
def setup(local_registry):
    mlflow.set_tracking_uri(local_registry.tracking_uri)
    mlflow.set_experiment("deltaone-tests")
    return ModelRegistry(), PerformanceTracker("deltaone-tests")


def name() -> str:
    return f"deltaone-{uuid.uuid4().hex[:8]}"


def test_latest_version_against_the_baseline_alias(setup):
    registry, tracker = setup
    model = name()
    registry.register_baseline(logged(0.80), model, "accuracy", 0.80, token_id="D1")
    registry.register_tokenized_model(logged(0.805), model, "D1", "accuracy", 0.805)
    registry.register_tokenized_model(logged(0.83), model, "D1", "accuracy", 0.83)
    runs_before = len(mlflow.search_runs(search_all_experiments=True))
    result = tracker.detect_delta_one(model)
    assert (result.achieved, result.baseline_version, result.new_version) == (True, "1", "3")
    assert (result.baseline_value, result.new_value) == (0.80, 0.83)
    assert result.delta_pp == pytest.approx(3.0) and result.model_name == model
    second = tracker.detect_delta_one(model, version=2)
    assert (bool(second), second.delta_pp) == (False, pytest.approx(0.5))
    assert len(mlflow.search_runs(search_all_experiments=True)) == runs_before  # read-only


def test_without_alias_the_newest_earlier_registered_version_is_the_baseline(setup):
    registry, tracker = setup
    model = name()
    registry.register_tokenized_model(logged(0.70), model, "D2", "accuracy", 0.70)
    registry.register_tokenized_model(logged(0.72), model, "D2", "accuracy", 0.72)
    registry.register_tokenized_model(logged(0.725), model, "D2", "accuracy", 0.725)
    result = tracker.detect_delta_one(model)
    assert (result.baseline_version, result.new_version, result.achieved) == ("2", "3", False)


def test_the_runs_logged_metric_wins_over_the_registered_value(setup):
    registry, tracker = setup
    model = name()
    registry.register_baseline(logged(None), model, "accuracy", 0.60)
    registry.register_tokenized_model(logged(0.66), model, "D3", "accuracy", 0.61)
    assert tracker.detect_delta_one(model).new_value == 0.66
    registry.register_tokenized_model(logged(None), model, "D3", "accuracy", 0.65)
    assert tracker.detect_delta_one(model).new_value == 0.65  # no run metric: the tag


def test_lower_is_better(setup):
    registry, tracker = setup
    model = name()
    registry.register_baseline(logged(None), model, "error_rate", 0.20)
    registry.register_tokenized_model(logged(None), model, "D4", "error_rate", 0.17)
    assert tracker.detect_delta_one(model, lower_is_better=True).improvement_pp == 3.0
    assert not tracker.detect_delta_one(model)


def test_clear_errors_instead_of_false(setup):
    registry, tracker = setup
    model = name()
    with pytest.raises(ModelNotFoundError, match="No registered model named"):
        tracker.detect_delta_one(model)
    registry.register_tokenized_model(logged(0.9), model, "D5", "accuracy", 0.9)
    with pytest.raises(ModelNotFoundError, match="has no baseline to compare version 1 with"):
        tracker.detect_delta_one(model)
    registry.register_tokenized_model(logged(None), model, "D5", "f1", 0.9)
    with pytest.raises(ValidationError, match=r"measured by 'f1', its baseline .* by 'accuracy'"):
        tracker.detect_delta_one(model)
    assert len(MlflowClient().search_model_versions(f"name = '{model}'")) == 2
