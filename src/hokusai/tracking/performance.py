"""``PerformanceTracker``: measure a data contribution's improvement and attest it."""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from hokusai._legacy_reads import LegacyReads, deprecated
from hokusai.core import validation as check
from hokusai.errors import ValidationError
from hokusai.tracking import deltaone
from hokusai.tracking._compat import OLD_TRACKER_METHODS, unsupported
from hokusai.tracking.experiments import ExperimentManager

CONTRIBUTOR_KEYS = ("contributor_id", "contributor", "contributor_address", "wallet_address")
DEFAULT_EXPERIMENT = "hokusai-performance"
ATTESTATION_FILE = "hokusai_attestation.json"
TAG_ATTESTATION = "hokusai_attestation_sha256"
TAG_CONTRIBUTOR = "hokusai_contributor"


@dataclass(frozen=True)
class Attestation(LegacyReads):
    """A verifiable record of an improvement: sha256 of the canonical JSON of the inputs.

    Recompute ``sha256`` with `canonical_json` of ``inputs`` to verify a record.

    Examples:
        >>> record = attest({"accuracy": 0.8}, {"accuracy": 0.85}, {"contributor_id": "alice"},
        ...                 timestamp="2026-01-01T00:00:00+00:00")
        >>> record.contributor, record.sha256[:12]
        ('alice', 'b714d05a1d1b')
    """

    sha256: str
    """SHA-256 of the canonical JSON of ``inputs``: recompute it to verify."""
    timestamp: str
    """ISO 8601, UTC."""
    contributor: str
    """Who contributed the data (``data_contribution``'s contributor)."""
    inputs: dict[str, Any] = field(repr=False)
    """``{"baseline_metrics": …, "improved_metrics": …, "data_contribution": …}``."""

    _LEGACY_KEYS: ClassVar[dict[str, str]] = {
        "attestation_hash": "sha256",
        "hash": "sha256",
        "timestamp": "timestamp",
        "contributor": "contributor",
    }

    def to_dict(self) -> dict[str, Any]:
        """The record as stored in the run's ``hokusai_attestation.json`` artifact."""
        return asdict(self)


class MetricDelta(float):
    """A delta as old guides read it: a number, or ``delta["accuracy"]["absolute_delta"]``.

    Examples:
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     MetricDelta(0.03)["absolute_delta"] + 0.0
        0.03
    """

    def __getitem__(self, key: str) -> float:
        if key not in ("absolute_delta", "delta"):
            raise KeyError(
                f"{key!r}: a delta is a number now (improved - baseline); the relative change "
                "is result.relative_deltas[metric]."
            )
        deprecated(f'delta[metric]["{key}"] is deprecated: use result.deltas[metric]')
        return float(self)


@dataclass(frozen=True)
class ImprovementResult:
    """What `PerformanceTracker.track_improvement` measured and where it logged it.

    Old guides unpacked it as ``delta, attestation = tracker.track_improvement(...)``;
    that still works, with a ``DeprecationWarning``.

    Examples:
        >>> result = ImprovementResult(deltas={"accuracy": 0.05}, relative_deltas={"accuracy": 0.0625},
        ...     attestation=None, run_id=None)
        >>> result.deltas["accuracy"]
        0.05
    """

    deltas: dict[str, float]
    """improved - baseline, per metric of the baseline."""
    relative_deltas: dict[str, float]
    """(improved - baseline) / |baseline|, ``nan`` when the baseline is 0."""
    attestation: Attestation | None
    """The verifiable record of the inputs (`Attestation`)."""
    run_id: str | None
    """The MLflow run holding the metrics, tags and the attestation JSON artifact."""

    def __iter__(self) -> Iterator[Any]:
        deprecated(
            "Unpacking the result of track_improvement as (delta, attestation) is deprecated: "
            "use result.deltas and result.attestation.",
        )
        return iter(({k: MetricDelta(v) for k, v in self.deltas.items()}, self.attestation))


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 text: the form the attestation hash is taken of.

    Examples:
        >>> canonical_json({"b": 1, "a": [1.5, "x"]})
        '{"a":[1.5,"x"],"b":1}'
    """
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def _metrics(value: object, argument: str) -> dict[str, float]:
    if not isinstance(value, Mapping) or not value:
        raise ValidationError(
            f"{argument} must be a non-empty dict of metric name to number, got {value!r}, "
            f"e.g. {argument}={{'accuracy': 0.85}}."
        )
    return {str(k): check.check_number(v, f"{argument}[{k!r}]") for k, v in value.items()}


def contributor_of(data_contribution: Mapping[str, Any]) -> str:
    """The contributor named in ``data_contribution`` (first of `CONTRIBUTOR_KEYS`).

    Examples:
        >>> contributor_of({"contributor_id": "alice", "rows": 1000})
        'alice'
    """
    for key in CONTRIBUTOR_KEYS:
        if data_contribution.get(key):
            return str(data_contribution[key])
    raise ValidationError(
        "data_contribution must name the contributor: add 'contributor_id' (or one of "
        f"{', '.join(CONTRIBUTOR_KEYS[1:])}), e.g. "
        "data_contribution={'contributor_id': 'alice', 'data_hash': '…', 'rows': 1000}."
    )


def compute_deltas(
    baseline_metrics: Mapping[str, float], improved_metrics: Mapping[str, float]
) -> tuple[dict[str, float], dict[str, float]]:
    """(absolute, relative) deltas for each baseline metric; all must be in ``improved``.

    Examples:
        >>> compute_deltas({"accuracy": 0.8}, {"accuracy": 0.84})
        ({'accuracy': 0.04}, {'accuracy': 0.05})
    """
    baseline = _metrics(baseline_metrics, "baseline_metrics")
    improved = _metrics(improved_metrics, "improved_metrics")
    missing = sorted(set(baseline) - set(improved))
    if missing:
        raise ValidationError(
            f"improved_metrics lacks {', '.join(map(repr, missing))}: give the improved model's "
            "value for every metric in baseline_metrics."
        )
    deltas = {name: round(improved[name] - value, 12) for name, value in baseline.items()}
    relative = {
        name: round(delta / abs(baseline[name]), 12) if baseline[name] else math.nan
        for name, delta in deltas.items()
    }
    return deltas, relative


def attest(
    baseline_metrics: Mapping[str, float],
    improved_metrics: Mapping[str, float],
    data_contribution: Mapping[str, Any],
    timestamp: str | None = None,
) -> Attestation:
    """The `Attestation` of an improvement (no registry needed).

    Examples:
        >>> a = attest({"accuracy": 0.8}, {"accuracy": 0.85}, {"contributor_id": "alice"})
        >>> len(a.sha256), a.timestamp.endswith("+00:00")
        (64, True)
    """
    if not isinstance(data_contribution, Mapping):
        raise ValidationError(
            f"data_contribution must be a dict, got {data_contribution!r}, e.g. "
            "{'contributor_id': 'alice', 'rows': 1000}."
        )
    inputs = {
        "baseline_metrics": _metrics(baseline_metrics, "baseline_metrics"),
        "improved_metrics": _metrics(improved_metrics, "improved_metrics"),
        "data_contribution": dict(data_contribution),
    }
    try:
        text = canonical_json(inputs)
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            f"data_contribution must be JSON-serialisable (str, numbers, lists, dicts): {exc}."
        ) from exc
    return Attestation(
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        timestamp=timestamp or datetime.now(UTC).isoformat(timespec="seconds"),
        contributor=contributor_of(data_contribution),
        inputs=json.loads(text),
    )


class PerformanceTracker:
    """Measures improvements over a baseline and logs each one, attested, to MLflow.

    Args:
        experiment_name: the MLflow experiment the runs go to.
        tracking_uri: the registry's MLflow URL (same precedence as everywhere).
        api_key: the API key (same precedence as everywhere).

    Examples:
        >>> from hokusai.tracking import PerformanceTracker
        >>> tracker = PerformanceTracker(tracking_uri="http://127.0.0.1:5000/api/mlflow")
        >>> tracker.experiments.experiment_name
        'hokusai-performance'
    """

    def __init__(
        self,
        experiment_name: str = DEFAULT_EXPERIMENT,
        tracking_uri: str | None = None,
        api_key: str | None = None,
    ) -> None:
        self.experiments = ExperimentManager(experiment_name, tracking_uri, api_key)

    def __getattr__(self, name: str) -> Any:
        # Only called for missing attributes: name what to do for old-guide calls.
        raise unsupported(type(self).__name__, name, OLD_TRACKER_METHODS)

    def detect_delta_one(
        self,
        model_name: str,
        version: str | int | None = None,
        *,
        lower_is_better: bool = False,
        threshold_pp: float = deltaone.DEFAULT_THRESHOLD_PP,
    ) -> deltaone.DeltaOneResult:
        """Whether a registered version improved on its baseline by at least 1 point.

        Compares ``version`` (default: the latest) of ``model_name`` with the model's
        baseline: the version its ``baseline`` alias points to (``register_baseline``),
        else the newest earlier version with a benchmark metric and value. The new value
        is the metric the version's run logged, else its registered benchmark value.
        Nothing is written. The result is truthy when the DeltaOne was achieved.

        Raises:
            ModelNotFoundError: no such model or version, or no baseline to compare with.
            ValidationError: the values are not fractions between 0 and 1, or the
                version and its baseline are measured by different metrics.

        Examples:
            >>> _ = registry.register_baseline(
            ...     info.model_uri, "lead-scorer-delta", "accuracy", 0.85, token_id="LSDELTA"
            ... )
            >>> _ = registry.register_tokenized_model(
            ...     retrained.model_uri, "lead-scorer-delta", "LSDELTA", "accuracy", 0.87
            ... )
            >>> result = PerformanceTracker().detect_delta_one("lead-scorer-delta")
            >>> print(result.achieved, result.baseline_version, result.new_version, result.delta_pp)
            True 1 2 2.0
        """
        check.check_number(threshold_pp, "threshold_pp")
        manager = self.experiments
        with manager.session():
            return deltaone.detect_in_registry(
                manager.client,
                model_name,
                version,
                lower_is_better=lower_is_better,
                threshold_pp=threshold_pp,
            )

    def track_improvement(
        self,
        baseline_metrics: Mapping[str, float],
        improved_metrics: Mapping[str, float],
        data_contribution: Mapping[str, Any],
    ) -> ImprovementResult:
        """Compute the deltas, attest them, and log a run with metrics, tags and JSON.

        The run gets metrics ``baseline_<m>``, ``improved_<m>``, ``delta_<m>``, tags
        ``hokusai_attestation_sha256`` and ``hokusai_contributor``, and the artifact
        ``hokusai_attestation.json``. Arguments are checked before anything is sent.

        Examples:
            >>> result = PerformanceTracker("lead-scoring-improvements").track_improvement(
            ...     {"accuracy": 0.85},
            ...     {"accuracy": 0.88},
            ...     {"contributor_id": "alice", "data_hash": "sha256:9f2c", "rows": 1000},
            ... )
            >>> result.deltas, result.attestation.contributor
            ({'accuracy': 0.03}, 'alice')
            >>> mlflow.get_run(result.run_id).data.tags["hokusai_contributor"]
            'alice'
        """
        deltas, relative = compute_deltas(baseline_metrics, improved_metrics)
        record = attest(baseline_metrics, improved_metrics, data_contribution)
        from mlflow.entities import Metric, RunTag

        manager = self.experiments
        experiment_id = manager.experiment_id
        metrics = {
            **{f"baseline_{k}": v for k, v in record.inputs["baseline_metrics"].items()},
            **{f"improved_{k}": v for k, v in record.inputs["improved_metrics"].items()},
            **{f"delta_{k}": v for k, v in deltas.items()},
        }
        tags = {TAG_ATTESTATION: record.sha256, TAG_CONTRIBUTOR: record.contributor[:5000]}
        with manager.session():
            run = manager.client.create_run(experiment_id, run_name="improvement", tags=tags)
            run_id = run.info.run_id
            try:
                now = int(datetime.now(UTC).timestamp() * 1000)
                manager.client.log_batch(
                    run_id,
                    metrics=[Metric(k, v, now, 0) for k, v in metrics.items()],
                    tags=[RunTag("hokusai_attestation_timestamp", record.timestamp)],
                )
                manager.client.log_dict(run_id, record.to_dict(), ATTESTATION_FILE)
            except BaseException:
                with contextlib.suppress(Exception):  # the original failure is what matters
                    manager.client.set_terminated(run_id, status="FAILED")
                raise
            manager.client.set_terminated(run_id)
        return ImprovementResult(deltas, relative, record, run_id)
