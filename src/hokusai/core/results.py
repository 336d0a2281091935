"""Typed results returned by :class:`~hokusai.ModelRegistry`."""

from __future__ import annotations

from dataclasses import dataclass, field

TAG_TOKEN_ID = "hokusai_token_id"
TAG_METRIC = "benchmark_metric"
TAG_BASELINE = "benchmark_value"
TAG_STATUS = "hokusai_status"
RESERVED_TAGS = (TAG_TOKEN_ID, TAG_METRIC, TAG_BASELINE, TAG_STATUS)


@dataclass(frozen=True)
class TokenizedModel:
    """A model version registered for a Hokusai token."""

    name: str
    version: str
    token_id: str
    metric_name: str
    baseline_value: float
    status: str
    run_id: str | None
    source: str
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def model_uri(self) -> str:
        """URI to load this version with MLflow, e.g. ``models:/lead-scorer/1``."""
        return f"models:/{self.name}/{self.version}"

    @classmethod
    def from_model_version(cls, version) -> TokenizedModel:
        tags = dict(version.tags or {})
        return cls(
            name=version.name,
            version=str(version.version),
            token_id=tags.get(TAG_TOKEN_ID, ""),
            metric_name=tags.get(TAG_METRIC, ""),
            baseline_value=float(tags.get(TAG_BASELINE, "nan")),
            status=tags.get(TAG_STATUS, ""),
            run_id=version.run_id or None,
            source=version.source,
            tags={k: v for k, v in tags.items() if k not in RESERVED_TAGS},
        )
