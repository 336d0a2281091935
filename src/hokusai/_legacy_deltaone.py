"""Old guides' ``hokusai.evaluation.deltaone_evaluator.detect_delta_one`` (internal).

Imported through `hokusai._legacy` with a ``DeprecationWarning``; it runs
`detect_delta_one` with the configuration
of the environment.
"""

from __future__ import annotations

from typing import Any

from hokusai.errors import ValidationError
from hokusai.tracking import DeltaOneResult, PerformanceTracker

# Keywords of the old function → what to do instead.
OLD_KEYWORDS = {
    "webhook_url": "the SDK sends no webhooks: post result.to_dict() to your URL yourself",
    "webhook_config": "the SDK sends no webhooks: post result.to_dict() to your URL yourself",
    "config": "pass threshold_pp= (percentage points, default 1.0) and lower_is_better=",
}


def detect_delta_one(
    model_name: str, version: str | int | None = None, **keywords: Any
) -> DeltaOneResult:
    """``PerformanceTracker().detect_delta_one(model_name, version, ...)``; truthy when achieved."""
    for key in keywords:
        if key in OLD_KEYWORDS:
            raise ValidationError(
                f"detect_delta_one() has no {key}= any more: {OLD_KEYWORDS[key]}."
            )
        if key not in ("lower_is_better", "threshold_pp"):
            raise ValidationError(
                f"detect_delta_one() got an unexpected keyword argument {key!r}: it takes "
                "model_name, version, lower_is_better and threshold_pp."
            )
    return PerformanceTracker().detect_delta_one(model_name, version, **keywords)
