"""DeltaOne: did a model improve on its baseline by at least one percentage point?

A DeltaOne is measured on a metric expressed as a fraction between 0 and 1 (accuracy,
F1, AUROC, a reply rate…): 0.85 → 0.86 is one percentage point. For a metric where
lower is better (an error rate), a drop counts as the improvement.
`delta_one` does the arithmetic on two values;
`detect_delta_one` compares a registered
version with its model's baseline in the registry.

Examples:
    >>> from hokusai.tracking import delta_one
    >>> result = delta_one("accuracy", 0.85, 0.87)
    >>> result.achieved, result.delta_pp
    (True, 2.0)
    >>> bool(delta_one("accuracy", 0.85, 0.855))
    False
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any, ClassVar

from hokusai._legacy_reads import LegacyAttributes
from hokusai.core import validation as check
from hokusai.errors import ValidationError

DEFAULT_THRESHOLD_PP = 1.0


@dataclass(frozen=True)
class DeltaOneResult(LegacyAttributes):
    """The comparison behind a DeltaOne decision; truthy when the DeltaOne was achieved.

    Examples:
        >>> result = delta_one("error_rate", 0.12, 0.10, lower_is_better=True)
        >>> result.achieved, result.delta_pp, result.improvement_pp
        (True, -2.0, 2.0)
    """

    metric_name: str
    """The benchmark metric compared, e.g. ``"accuracy"``."""
    baseline_value: float
    """The baseline's value of the metric (a fraction, 0 to 1)."""
    new_value: float
    """The new model's value of the metric (a fraction, 0 to 1)."""
    delta_pp: float
    """``new_value - baseline_value`` in percentage points (0.85 → 0.87 is 2.0)."""
    threshold_pp: float
    """The improvement that counts as a DeltaOne, in percentage points (1.0)."""
    lower_is_better: bool
    """True for metrics such as an error rate, where lower values win."""
    achieved: bool
    """``improvement_pp >= threshold_pp``."""
    model_name: str | None = None
    """The registered model compared (``detect_delta_one``), else ``None``."""
    baseline_version: str | None = None
    """The baseline's model version (``detect_delta_one``), else ``None``."""
    new_version: str | None = None
    """The compared model version (``detect_delta_one``), else ``None``."""

    _LEGACY_ATTRIBUTES: ClassVar[dict[str, str]] = {
        "delta_value": "delta_pp (percentage points; the old delta_value was delta_pp / 100)",
        "current_value": "new_value",
    }

    def _legacy_delta_value(self) -> float:
        return round(self.delta_pp / 100, 11)

    @property
    def improvement_pp(self) -> float:
        """The improvement in percentage points: ``delta_pp``, negated when lower is better."""
        return -self.delta_pp if self.lower_is_better else self.delta_pp

    def __bool__(self) -> bool:
        return self.achieved

    def to_dict(self) -> dict[str, Any]:
        """The result as a JSON-ready dict (e.g. to notify another service)."""
        return {**asdict(self), "improvement_pp": self.improvement_pp}


def _fraction(value: object, argument: str, metric_name: str) -> float:
    number = check.check_number(value, argument)
    if not 0.0 <= number <= 1.0:
        raise ValidationError(
            f"{argument}={number!r} of {metric_name!r} is not a fraction between 0 and 1: "
            "DeltaOne is measured in percentage points of such a metric (accuracy 0.85, not "
            "85 or a loss of 2.3). Use a fraction-valued metric, e.g. accuracy or f1."
        )
    return number


def delta_one(
    metric_name: str,
    baseline_value: float,
    new_value: float,
    *,
    lower_is_better: bool = False,
    threshold_pp: float = DEFAULT_THRESHOLD_PP,
) -> DeltaOneResult:
    """Compare two values of a fraction-valued metric; no registry needed.

    Args:
        metric_name: the benchmark metric, e.g. ``"accuracy"``.
        baseline_value: the baseline's value, between 0 and 1.
        new_value: the new model's value, between 0 and 1.
        lower_is_better: True for metrics such as an error rate.
        threshold_pp: the improvement needed, in percentage points (DeltaOne: 1).

    Examples:
        >>> delta_one("accuracy", 0.29, 0.30).achieved   # exactly 1 pp, despite float rounding
        True
        >>> delta_one("accuracy", 85, 87)
        Traceback (most recent call last):
        ...
        hokusai.errors.ValidationError: baseline_value=85.0 of 'accuracy' is not a fraction between 0 and 1: DeltaOne is measured in percentage points of such a metric (accuracy 0.85, not 85 or a loss of 2.3). Use a fraction-valued metric, e.g. accuracy or f1.
    """
    check.check_name(metric_name, "metric_name")
    baseline = _fraction(baseline_value, "baseline_value", metric_name)
    new = _fraction(new_value, "new_value", metric_name)
    threshold = check.check_number(threshold_pp, "threshold_pp")
    if threshold <= 0:
        raise ValidationError(f"threshold_pp must be positive, got {threshold_pp!r} (DeltaOne: 1).")
    # Rounded so that 0.29 -> 0.30 is exactly one point, not 0.99999999.
    delta_pp = round((new - baseline) * 100, 9)
    improvement = -delta_pp if lower_is_better else delta_pp
    return DeltaOneResult(
        metric_name=metric_name,
        baseline_value=baseline,
        new_value=new,
        delta_pp=delta_pp + 0.0,  # no -0.0
        threshold_pp=threshold,
        lower_is_better=bool(lower_is_better),
        achieved=improvement >= threshold and not math.isnan(improvement),
    )


def detect_in_registry(
    client: Any,
    model_name: str,
    version: str | int | None = None,
    *,
    lower_is_better: bool = False,
    threshold_pp: float = DEFAULT_THRESHOLD_PP,
) -> DeltaOneResult:
    """`delta_one` of a registered version (default: the latest) against its baseline.

    The baseline is the version the ``baseline`` alias points to (set by
    ``register_baseline``), else the newest earlier version registered with a benchmark
    metric and value. The baseline's value is its registered benchmark value; the new
    version's value is the metric its run logged, else its registered benchmark value.
    """
    from hokusai.core import _versions as mv
    from hokusai.core.registry import BASELINE_ALIAS
    from hokusai.core.results import TAG_BASELINE, TAG_METRIC
    from hokusai.errors import ModelNotFoundError

    check.check_name(model_name, "model_name")
    candidate = mv.get_version(client, model_name, version)
    pointed = (client.get_registered_model(model_name).aliases or {}).get(BASELINE_ALIAS)
    if pointed is not None and str(pointed) != str(candidate.version):
        baseline = client.get_model_version(model_name, str(pointed))
    else:
        earlier = [
            v
            for v in mv.versions_of(client, model_name)
            if int(v.version) < int(candidate.version)
            and {TAG_METRIC, TAG_BASELINE} <= set(v.tags or {})
        ]
        if not earlier:
            raise ModelNotFoundError(
                f"{model_name} has no baseline to compare version {candidate.version} with: "
                f"register one with registry.register_baseline(model_uri, {model_name!r}, "
                "metric_name, metric_value), or an earlier version with "
                "registry.register_tokenized_model(...)."
            )
        baseline = max(earlier, key=lambda v: int(v.version))
    metric = baseline.tags.get(TAG_METRIC, "")
    own_metric = (candidate.tags or {}).get(TAG_METRIC)
    if own_metric and own_metric != metric:
        raise ValidationError(
            f"Version {candidate.version} of {model_name} is measured by {own_metric!r}, its "
            f"baseline (version {baseline.version}) by {metric!r}: compare the same metric."
        )
    logged = mv.run_metrics(client, candidate.run_id, {})
    new_value = logged.get(metric, (candidate.tags or {}).get(TAG_BASELINE))
    if new_value is None:
        raise ValidationError(
            f"Version {candidate.version} of {model_name} has no value of {metric!r}: log it in "
            "the version's run (mlflow.log_metric) or register the version with baseline_value."
        )
    result = delta_one(
        metric,
        _number(baseline.tags.get(TAG_BASELINE)),
        _number(new_value),
        lower_is_better=lower_is_better,
        threshold_pp=threshold_pp,
    )
    return replace(
        result,
        model_name=model_name,
        baseline_version=str(baseline.version),
        new_version=str(candidate.version),
    )


def _number(value: object) -> Any:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return value  # delta_one names the bad value
