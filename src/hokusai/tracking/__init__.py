"""Experiment tracking in the Hokusai registry: runs, improvements and attestations.

Examples:
    >>> from hokusai.tracking import attest
    >>> attest({"accuracy": 0.8}, {"accuracy": 0.85}, {"contributor_id": "alice"}).contributor
    'alice'
"""

from hokusai.tracking.experiments import ExperimentManager
from hokusai.tracking.performance import (
    Attestation,
    ImprovementResult,
    PerformanceTracker,
    attest,
    canonical_json,
    compute_deltas,
)

__all__ = [
    "Attestation",
    "ExperimentManager",
    "ImprovementResult",
    "PerformanceTracker",
    "attest",
    "canonical_json",
    "compute_deltas",
]
