"""Experiment tracking in the Hokusai registry: runs, improvements and attestations.

Examples:
    >>> from hokusai.tracking import attest
    >>> attest({"accuracy": 0.8}, {"accuracy": 0.85}, {"contributor_id": "alice"}).contributor
    'alice'
"""

from hokusai._legacy import module_getattr
from hokusai.tracking.deltaone import DeltaOneResult, delta_one
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
    "DeltaOneResult",
    "ExperimentManager",
    "ImprovementResult",
    "PerformanceTracker",
    "attest",
    "canonical_json",
    "compute_deltas",
    "delta_one",
]

# Names of old guides: each says what to use instead (see hokusai._legacy).
__getattr__ = module_getattr(__name__)
