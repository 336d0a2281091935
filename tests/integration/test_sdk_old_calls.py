"""Old-guide calls that work: what they leave in the registry (and what they do not)."""

from __future__ import annotations

import uuid
import warnings

import mlflow
import pytest
from mlflow import MlflowClient
from sklearn.ensemble import RandomForestClassifier

from hokusai import ModelRegistry
from hokusai.errors import HokusaiError
from hokusai.tracking import ExperimentManager, PerformanceTracker

X, Y = [[0.1], [0.3], [0.4], [0.6], [0.7], [0.9]], [0, 0, 0, 1, 1, 1]


@pytest.fixture(scope="module")
def registry(local_registry) -> ModelRegistry:
    mlflow.set_tracking_uri(local_registry.tracking_uri)
    return ModelRegistry()


def footprint() -> tuple[int, int, int]:
    """(runs, logged models, model versions) in the whole registry."""
    client = MlflowClient()
    experiments = [e.experiment_id for e in client.search_experiments()]
    return (
        len(client.search_runs(experiments, max_results=10000)),
        len(client.search_logged_models(experiment_ids=experiments, max_results=10000)),
        len(client.search_model_versions("", max_results=10000)),
    )


def test_register_baseline_with_a_trained_object_logs_it_and_registers_it(registry):
    forest = RandomForestClassifier(n_estimators=3, random_state=0).fit(X, Y)
    name = f"old-baseline-{uuid.uuid4().hex[:6]}"
    with pytest.warns(DeprecationWarning, match="register_baseline\\(model=<object>"):
        baseline = registry.register_baseline(
            model=forest, model_type=name, metadata={"accuracy": 0.9, "dataset": "v1"}
        )
    assert (baseline.name, baseline.role, baseline.metric_name, baseline.baseline_value) == (
        name,
        "baseline",
        "accuracy",
        0.9,
    )
    assert baseline.tags == {"dataset": "v1"}
    loaded = mlflow.sklearn.load_model(f"models:/{name}@baseline")
    assert list(loaded.predict(X)) == list(forest.predict(X))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        again = registry.register_baseline(
            forest, name, metadata={"accuracy": 0.9, "dataset": "v1"}
        )
    assert again.version == baseline.version  # same object, same content: no duplicate


@pytest.mark.parametrize(
    "call",
    [
        {"model_type": "old-bad", "metadata": {"dataset": "v1"}},  # no benchmark
        {"model_type": "old-bad", "metadata": {"accuracy": 0.9, "f1": 0.8}},  # which one?
        {"model_type": "", "metadata": {"accuracy": 0.9}},
        {"model_type": "old-bad", "metric_name": "accuracy", "metric_value": "high"},
        {"model_type": "old-bad", "metadata": {"accuracy": 0.9}, "token_id": "bad token"},
        {"model_type": "old-bad", "metadata": {"accuracy": 0.9}, "surprise": 1},
    ],
)
def test_argument_errors_come_before_anything_is_logged(registry, call):
    forest = RandomForestClassifier(n_estimators=2, random_state=0).fit(X, Y)
    before = footprint()
    with pytest.raises(HokusaiError) as info:
        registry.register_baseline(model=forest, **call)
    assert type(info.value).__name__ == "ValidationError"
    assert footprint() == before


def test_unfitted_or_foreign_objects_are_refused_before_anything_is_logged(registry):
    before = footprint()
    with pytest.raises(HokusaiError, match="unfitted"):
        registry.register_baseline(
            model=RandomForestClassifier(), model_type="m", metadata={"a": 0.5}
        )
    with pytest.raises(HokusaiError, match=r"mlflow\.pyfunc\.log_model"):
        registry.register_baseline(model=object(), model_type="m", metadata={"a": 0.5})
    assert footprint() == before


def test_tuple_unpacking_logs_one_run_and_gives_the_old_pair(local_registry):
    tracker = PerformanceTracker(f"old-unpack-{uuid.uuid4().hex[:6]}")
    with pytest.warns(DeprecationWarning, match="as \\(delta, attestation\\)"):
        delta, attestation = tracker.track_improvement(
            {"accuracy": 0.85}, {"accuracy": 0.92}, {"contributor": "0xABC", "data_size": 1000}
        )
    assert delta == {"accuracy": pytest.approx(0.07)}
    assert attestation.contributor == "0xABC"
    runs = tracker.experiments.search_runs()
    assert [r.data.tags["hokusai_attestation_sha256"] for r in runs] == [attestation.sha256]


def test_old_manager_and_start_experiment_use_the_registrys_configuration(registry):
    with pytest.warns(DeprecationWarning, match=r"ExperimentManager\(registry\)"):
        manager = ExperimentManager(registry)
    assert (manager.tracking_uri, manager._api_key_value) == (
        registry.tracking_uri,
        registry._api_key_value,
    )
    experiment = f"old-experiment-{uuid.uuid4().hex[:6]}"
    with (
        pytest.warns(DeprecationWarning, match="start_experiment"),
        manager.start_experiment(experiment) as run,
    ):
        mlflow.log_metric("accuracy", 0.95)
    logged = MlflowClient().get_run(run.info.run_id)
    assert logged.info.status == "FINISHED" and logged.data.metrics == {"accuracy": 0.95}
    assert MlflowClient().get_experiment(logged.info.experiment_id).name == experiment
