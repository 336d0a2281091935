"""Tracking calls copied from old guides: what still works (with a warning) and what to use.

The old ``ExperimentManager`` took the ``ModelRegistry`` as its first argument and the
URI as ``mlflow_tracking_uri=``; the old trackers had methods this SDK does not.
"""

from __future__ import annotations

from typing import Any

__all__ = ["OLD_MANAGER_METHODS", "OLD_TRACKER_METHODS", "manager_arguments", "unsupported"]

from hokusai._client import RegistryClient
from hokusai._legacy_reads import deprecated
from hokusai.core._compat import unsupported
from hokusai.errors import ValidationError

# Methods of the old ExperimentManager → what to do instead.
OLD_MANAGER_METHODS = {
    "create_improvement_experiment": "start a run with manager.start_run(run_name=...) and "
    "record the contribution with PerformanceTracker().track_improvement(...)",
    "compare_models": "evaluate both models yourself, then "
    "PerformanceTracker().track_improvement(baseline_metrics, improved_metrics, "
    "data_contribution) logs and attests the comparison",
    "get_experiment_history": "use manager.search_runs(max_results=100)",
}

# Methods of the old PerformanceTracker → what to do instead.
OLD_TRACKER_METHODS = {
    "track_inference": "inference monitoring is not part of this SDK: log serving metrics "
    "with mlflow.log_metrics(...) in your service's own run",
    "log_contribution_impact": "use tracker.track_improvement(baseline_metrics, "
    "improved_metrics, data_contribution): it logs the contributor, the deltas and an "
    "attestation",
    "get_contributor_impact": "contributor accounting belongs to the Hokusai platform; the "
    "runs track_improvement logged carry the tag hokusai_contributor, e.g. "
    "mlflow.search_runs(filter_string=\"tags.hokusai_contributor = 'alice'\")",
}


def manager_arguments(
    experiment_name: Any, tracking_uri: str | None, api_key: str | None, old: dict[str, Any]
) -> tuple[Any, str | None, str | None]:
    """(experiment_name, tracking_uri, api_key) from an old-style ``ExperimentManager(...)``.

    ``ExperimentManager(registry)`` and ``registry=`` take the registry's URI and key;
    ``mlflow_tracking_uri=`` is ``tracking_uri=``. Each warns with the new spelling.
    """
    unknown = sorted(set(old) - {"registry", "mlflow_tracking_uri"})
    if unknown:
        raise ValidationError(
            f"ExperimentManager() got unexpected keyword argument(s) {', '.join(unknown)}: "
            "it takes experiment_name, tracking_uri and api_key."
        )
    registry = old.get("registry")
    if isinstance(experiment_name, RegistryClient):
        registry, experiment_name = experiment_name, None
    if registry is not None:
        if not isinstance(registry, RegistryClient):
            raise ValidationError(
                f"registry must be a ModelRegistry, got {type(registry).__name__}: pass the "
                "experiment name and configuration instead, ExperimentManager(experiment_name, "
                "tracking_uri=..., api_key=...)."
            )
        deprecated(
            "ExperimentManager(registry) is deprecated: use ExperimentManager(experiment_name), "
            "which reads the same configuration (or pass tracking_uri=registry.tracking_uri).",
        )
        tracking_uri = tracking_uri or registry.tracking_uri
        api_key = api_key or registry._api_key_value
    if "mlflow_tracking_uri" in old:
        deprecated(
            "ExperimentManager(mlflow_tracking_uri=...) is deprecated: use tracking_uri=...",
        )
        if tracking_uri:
            raise ValidationError(
                "ExperimentManager() got both mlflow_tracking_uri= and tracking_uri= (or a "
                "registry): pass only tracking_uri=."
            )
        tracking_uri = old["mlflow_tracking_uri"]
    return experiment_name, tracking_uri, api_key
