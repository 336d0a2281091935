"""Typed, immutable results returned by `ModelRegistry`."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from hokusai._legacy_reads import LegacyAttributes, LegacyReads, deprecated

TAG_TOKEN_ID = "hokusai_token_id"
TAG_METRIC = "benchmark_metric"
TAG_BASELINE = "benchmark_value"
TAG_STATUS = "hokusai_status"
TAG_ROLE = "hokusai_role"
RESERVED_TAGS = (TAG_TOKEN_ID, TAG_METRIC, TAG_BASELINE, TAG_STATUS, TAG_ROLE)

ROLE_TOKENIZED = "tokenized"
ROLE_BASELINE = "baseline"


def _float(text: str | None) -> float:
    try:
        return float(text) if text is not None else math.nan
    except ValueError:
        return math.nan


def _model_id(source: str | None) -> str | None:
    if source and source.startswith("models:/m-"):
        return source.removeprefix("models:/").split("/")[0]
    return None


# Keys of the dicts the old SDK returned, and where their values are now.
_MODEL_KEYS = {
    "model_name": "name",
    "name": "name",
    "version": "version",
    "token_id": "token_id",
    "token_identifier": "token_id",
    "metric_name": "metric_name",
    "baseline_value": "baseline_value",
    "mlflow_run_id": "run_id",
    "run_id": "run_id",
    "status": "status",
    "model_id": "model_id",
    "model_uri": "model_uri",
    "tags": "tags (your tags; the Hokusai ones are .token_id, .metric_name, .baseline_value)",
}


def _hokusai_tags(token_id: str, metric: str, value: float, status: str, role: str) -> dict:
    return {
        TAG_TOKEN_ID: token_id,
        TAG_METRIC: metric,
        TAG_BASELINE: repr(value),
        TAG_STATUS: status,
        TAG_ROLE: role,
    }


@dataclass(frozen=True)
class TokenizedModel(LegacyReads):
    """A model version registered for a Hokusai token.

    Old guides read results as dicts (``model["version"]``); that still works, with a
    ``DeprecationWarning`` naming the attribute.

    Examples:
        >>> from hokusai import TokenizedModel
        >>> model = TokenizedModel(name="lead-scorer", version="3", token_id="LSCOR",
        ...     metric_name="accuracy", baseline_value=0.85, status="registered",
        ...     run_id=None, source="models:/m-1")
        >>> model.model_uri
        'models:/lead-scorer/3'
    """

    name: str
    """The registered model's name."""
    version: str
    """The model version, a string as MLflow gives it (``"1"``)."""
    token_id: str
    """The Hokusai token this version is registered for (tag ``hokusai_token_id``)."""
    metric_name: str
    """The benchmark metric, e.g. ``"accuracy"`` (tag ``benchmark_metric``)."""
    baseline_value: float
    """The metric's baseline value (tag ``benchmark_value``); ``nan`` if unset."""
    status: str
    """``"registered"`` once registration finished (tag ``hokusai_status``)."""
    run_id: str | None
    """The MLflow run that logged the model, if any."""
    source: str
    """Where MLflow stores the version's files (the model URI it came from)."""
    tags: dict[str, str] = field(default_factory=dict)
    """The version's other tags (``additional_tags``), without the Hokusai ones."""
    role: str = ROLE_TOKENIZED
    """``"tokenized"`` (``register_tokenized_model``) or ``"baseline"`` (``register_baseline``)."""
    aliases: tuple[str, ...] = ()
    """The version's MLflow aliases, e.g. ``("production",)``."""
    model_id: str | None = None
    """The MLflow logged model (``m-…``) this version was registered from, if any."""

    _LEGACY_KEYS: ClassVar[dict[str, str]] = _MODEL_KEYS

    @property
    def model_uri(self) -> str:
        """URI to load this version with MLflow, e.g. ``models:/lead-scorer/1``."""
        return f"models:/{self.name}/{self.version}"

    def _legacy_tags(self) -> dict[str, str]:
        # The old dicts' "tags" held the Hokusai tags too.
        hokusai = _hokusai_tags(
            self.token_id, self.metric_name, self.baseline_value, self.status, self.role
        )
        return {**self.tags, **hokusai}

    @classmethod
    def from_model_version(
        cls, version: Any, aliases: dict[str, Any] | None = None
    ) -> TokenizedModel:
        """Build from an MLflow ``ModelVersion`` (its tags carry the Hokusai fields).

        ``aliases`` (the registered model's alias → version map) fills in the aliases
        that MLflow's version search leaves out.
        """
        tags = dict(version.tags or {})
        own = set(getattr(version, "aliases", None) or ())
        own.update(a for a, v in (aliases or {}).items() if str(v) == str(version.version))
        return cls(
            name=version.name,
            version=str(version.version),
            token_id=tags.get(TAG_TOKEN_ID, ""),
            metric_name=tags.get(TAG_METRIC, ""),
            baseline_value=_float(tags.get(TAG_BASELINE)),
            status=tags.get(TAG_STATUS, ""),
            run_id=version.run_id or None,
            source=version.source,
            tags={k: v for k, v in tags.items() if k not in RESERVED_TAGS},
            role=tags.get(TAG_ROLE, ROLE_TOKENIZED),
            aliases=tuple(sorted(own)),
            model_id=getattr(version, "model_id", None) or _model_id(version.source),
        )


@dataclass(frozen=True)
class LineageEntry(LegacyAttributes, LegacyReads):
    """One version in a model's lineage, oldest first in `ModelLineage`.

    Examples:
        >>> from hokusai.core.results import LineageEntry
        >>> LineageEntry(version="1", run_id="abc", created_at=0, role="baseline",
        ...     token_id="LSCOR", metric_name="accuracy", baseline_value=0.8).metrics
        {}
    """

    version: str
    """The model version."""
    run_id: str | None
    """The run that produced the version, if any."""
    created_at: int
    """Creation time, milliseconds since the epoch (as MLflow reports it)."""
    role: str
    """``"tokenized"`` or ``"baseline"``."""
    token_id: str
    """The version's Hokusai token."""
    metric_name: str
    """The version's benchmark metric."""
    baseline_value: float
    """The version's baseline value."""
    metrics: dict[str, float] = field(default_factory=dict)
    """The metrics of the run that produced the version (empty without a run)."""
    aliases: tuple[str, ...] = ()
    """The aliases pointing at the version, e.g. ``("production",)``."""

    _LEGACY_KEYS: ClassVar[dict[str, str]] = {
        **{k: v for k, v in _MODEL_KEYS.items() if v in ("version", "run_id", "token_id")},
        "metrics": "metrics",
        "created_at": "created_at",
        "timestamp": "created_at",
        "creation_timestamp": "created_at",
        "metric_name": "metric_name",
        "baseline_value": "baseline_value",
        "tags": "token_id, .metric_name, .baseline_value and .role",
    }
    _LEGACY_ATTRIBUTES: ClassVar[dict[str, str]] = {
        "creation_timestamp": "created_at",
        "tags": "token_id, .metric_name, .baseline_value and .role",
    }

    def _legacy_tags(self) -> dict[str, str]:
        return _hokusai_tags(
            self.token_id, self.metric_name, self.baseline_value, "registered", self.role
        )


@dataclass(frozen=True)
class ModelLineage(LegacyAttributes):
    """Every version of a registered model in order, its aliases and promotion history.

    Iterating it as old guides did (``for v in lineage``) goes over `versions`,
    with a ``DeprecationWarning``.

    Examples:
        >>> from hokusai.core.results import ModelLineage
        >>> lineage = ModelLineage(name="lead-scorer", versions=(), aliases={"production": "2"},
        ...     promotions={"production": ("1", "2")})
        >>> lineage.aliases["production"]
        '2'
    """

    name: str
    """The registered model's name."""
    versions: tuple[LineageEntry, ...]
    """Every version, oldest first."""
    aliases: dict[str, str]
    """Alias → version, e.g. ``{"production": "2", "baseline": "1"}``."""
    promotions: dict[str, tuple[str, ...]]
    """Alias → the versions it was promoted to, oldest first (``rollback`` pops)."""

    _LEGACY_ATTRIBUTES: ClassVar[dict[str, str]] = {"entries": "versions", "model_id": "name"}

    def __iter__(self) -> Iterator[LineageEntry]:
        deprecated(
            "Iterating a ModelLineage is deprecated: iterate lineage.versions (oldest first)."
        )
        return iter(self.versions)


@dataclass(frozen=True)
class Promotion:
    """Where an alias points after `promote` or ``rollback``.

    Examples:
        >>> from hokusai.core.results import Promotion
        >>> Promotion("lead-scorer", "production", "2", previous_version="1").model_uri
        'models:/lead-scorer@production'
    """

    name: str
    """The registered model's name."""
    alias: str
    """The alias that moved, e.g. ``"production"``."""
    version: str
    """The version the alias points to now."""
    previous_version: str | None = None
    """The version the alias pointed to before, ``None`` if it was unset."""

    @property
    def model_uri(self) -> str:
        """URI that loads whatever the alias points to, e.g. ``models:/lead-scorer@production``."""
        return f"models:/{self.name}@{self.alias}"
