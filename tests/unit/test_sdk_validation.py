"""Arguments are checked before anything is sent; messages show a correct call."""

from __future__ import annotations

import math

import pytest

from hokusai import ModelRegistry
from hokusai.errors import ValidationError
from hokusai.tracking import PerformanceTracker, attest, canonical_json, compute_deltas

URI = "http://127.0.0.1:9/api/mlflow"  # never contacted: validation fails first


@pytest.fixture
def registry() -> ModelRegistry:
    return ModelRegistry(tracking_uri=URI, api_key="hk_test_x")


@pytest.mark.parametrize("token_id", ["", "has space", "x" * 65, "tok_en", None, 42])
def test_bad_token_ids(registry, token_id):
    with pytest.raises(ValidationError, match="use 1-64 letters, digits or hyphens"):
        registry.register_tokenized_model("models:/m-1", "m", token_id, "acc", 0.8)


@pytest.mark.parametrize("value", [math.nan, math.inf, True, None, [0.8]])
def test_bad_baselines(registry, value):
    with pytest.raises(ValidationError, match="baseline_value must be a"):
        registry.register_tokenized_model("models:/m-1", "m", "T", "acc", value)


@pytest.mark.parametrize("argument", ["model_uri", "model_name", "metric_name"])
def test_empty_names(registry, argument):
    args = {"model_uri": "models:/m-1", "model_name": "m", "token_id": "T", "metric_name": "a"}
    args[argument] = " "
    with pytest.raises(ValidationError, match=f"{argument} must be a non-empty string"):
        registry.register_tokenized_model(baseline_value=0.8, **args)


def test_bad_tags(registry):
    with pytest.raises(ValidationError, match="additional_tags must be a dict"):
        registry.register_tokenized_model("models:/m-1", "m", "T", "a", 0.8, additional_tags=["x"])


def test_register_baseline_validates_metric_value_and_optional_token(registry):
    with pytest.raises(ValidationError, match="metric_value must be a number"):
        registry.register_baseline("models:/m-1", "m", "accuracy", "high")
    with pytest.raises(ValidationError, match="token_id"):
        registry.register_baseline("models:/m-1", "m", "accuracy", 0.8, token_id="bad token")


def test_promote_and_rollback_validate_names(registry):
    with pytest.raises(ValidationError):
        registry.promote("", 1)
    with pytest.raises(ValidationError):
        registry.rollback("m", alias="")


def test_list_models_by_token_validates(registry):
    with pytest.raises(ValidationError):
        registry.list_models_by_token("no good")


def test_deltas_and_relative_deltas():
    deltas, relative = compute_deltas(
        {"accuracy": 0.8, "loss": 0.0}, {"accuracy": 0.84, "loss": 0.1, "f1": 1}
    )
    assert deltas == {"accuracy": 0.04, "loss": 0.1}
    assert relative["accuracy"] == 0.05 and math.isnan(relative["loss"])


def test_improved_metrics_must_cover_the_baseline():
    with pytest.raises(ValidationError, match="improved_metrics lacks 'f1'"):
        compute_deltas({"f1": 0.5}, {"accuracy": 0.9})


def test_attestation_is_a_verifiable_hash_of_the_inputs():
    record = attest({"accuracy": 0.8}, {"accuracy": 0.85}, {"contributor_id": "alice", "rows": 10})
    import hashlib

    assert record.sha256 == hashlib.sha256(canonical_json(record.inputs).encode()).hexdigest()
    assert record.contributor == "alice"
    reordered = attest(
        {"accuracy": 0.8}, {"accuracy": 0.85}, {"rows": 10, "contributor_id": "alice"}
    )
    assert reordered.sha256 == record.sha256


@pytest.mark.parametrize(
    ("contribution", "match"),
    [
        ({"rows": 10}, "must name the contributor"),
        ("alice", "data_contribution must be a dict"),
        ({"contributor_id": "a", "blob": object()}, "JSON-serialisable"),
    ],
)
def test_bad_contributions(contribution, match):
    with pytest.raises(ValidationError, match=match):
        attest({"a": 1}, {"a": 2}, contribution)


def test_track_improvement_validates_before_sending():
    tracker = PerformanceTracker(tracking_uri=URI, api_key="k")
    with pytest.raises(ValidationError, match="baseline_metrics must be a non-empty dict"):
        tracker.track_improvement({}, {"a": 1}, {"contributor_id": "x"})
    with pytest.raises(ValidationError, match=r"improved_metrics\['a'\] must be a number"):
        tracker.track_improvement({"a": 1}, {"a": "high"}, {"contributor_id": "x"})
