"""ExperimentManager and PerformanceTracker against the real registry."""

from __future__ import annotations

import hashlib
import uuid

import mlflow
import pytest
from mlflow import MlflowClient

from hokusai.tracking import ExperimentManager, PerformanceTracker, canonical_json


@pytest.fixture
def manager(local_registry):
    """A manager of a fresh experiment, deleted afterwards (others expect only 'Default')."""
    manager = ExperimentManager(f"exp-{uuid.uuid4().hex[:8]}")
    yield manager
    MlflowClient().delete_experiment(manager.experiment_id)


def test_runs_one_after_another_and_inside_a_users_run(manager):
    # DESIGN §6 item 9: the old notebook nested start_run() and failed on the second run.
    ids = []
    for attempt in range(2):
        with manager.start_run(run_name=f"attempt-{attempt}") as run:
            mlflow.log_metric("accuracy", 0.8 + attempt / 10)
            ids.append(run.info.run_id)
    with (
        mlflow.start_run(experiment_id=manager.experiment_id) as outer,
        manager.start_run() as inner,
    ):
        assert inner.info.run_id != outer.info.run_id
    assert mlflow.active_run() is None
    client = MlflowClient()
    assert [client.get_run(i).info.status for i in ids] == ["FINISHED", "FINISHED"]
    assert client.get_run(inner.info.run_id).data.tags["mlflow.parentRunId"] == outer.info.run_id
    assert {r.info.run_id for r in manager.search_runs()} >= {*ids, inner.info.run_id}


def test_a_failing_block_ends_its_run_as_failed(manager):
    with pytest.raises(ZeroDivisionError), manager.start_run() as run:
        1 / 0  # noqa: B018
    assert mlflow.active_run() is None
    assert MlflowClient().get_run(run.info.run_id).info.status == "FAILED"
    with manager.start_run():  # and the next one still works
        pass


def test_log_metrics(manager):
    with manager.start_run() as run:
        pass
    manager.log_metrics(run.info.run_id, {"f1": 0.7})
    assert MlflowClient().get_run(run.info.run_id).data.metrics == {"f1": 0.7}


def test_track_improvement_logs_an_attested_run(local_registry, request):
    tracker = PerformanceTracker(f"perf-{uuid.uuid4().hex[:8]}")
    request.addfinalizer(
        lambda: MlflowClient().delete_experiment(tracker.experiments.experiment_id)
    )
    contribution = {"contributor_id": "alice", "data_hash": "sha256:abc", "rows": 1000}
    result = tracker.track_improvement({"accuracy": 0.8}, {"accuracy": 0.85}, contribution)
    assert result.deltas == {"accuracy": 0.05}
    assert result.attestation.contributor == "alice"
    run = MlflowClient().get_run(result.run_id)
    assert run.data.metrics == {
        "baseline_accuracy": 0.8,
        "improved_accuracy": 0.85,
        "delta_accuracy": 0.05,
    }
    assert run.data.tags["hokusai_attestation_sha256"] == result.attestation.sha256
    assert run.data.tags["hokusai_contributor"] == "alice"
    stored = mlflow.artifacts.load_dict(f"runs:/{result.run_id}/hokusai_attestation.json")
    assert stored["sha256"] == hashlib.sha256(canonical_json(stored["inputs"]).encode()).hexdigest()
    assert stored["inputs"]["data_contribution"] == contribution
