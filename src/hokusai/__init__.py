"""Hokusai ML platform SDK: register tokenized models in the Hokusai registry.

Examples:
    >>> import hokusai
    >>> hokusai.ModelRegistry.__name__
    'ModelRegistry'
"""

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from hokusai import _environment  # noqa: F401 - first: stops on a mixed or too old MLflow
from hokusai.core import LineageEntry, ModelLineage, ModelRegistry, Promotion, TokenizedModel
from hokusai.errors import HokusaiError
from hokusai.tracking import ExperimentManager, PerformanceTracker

try:
    __version__ = version("hokusai-ml-platform")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"


def __getattr__(name: str) -> Any:
    # `hokusai.init(...)` from old guides: fail with what to do instead.
    if name == "init":
        from hokusai._legacy import INIT_MESSAGE
        from hokusai.errors import UnsupportedCallError

        raise UnsupportedCallError(INIT_MESSAGE)
    raise AttributeError(f"module 'hokusai' has no attribute {name!r}")


__all__ = [
    "ExperimentManager",
    "HokusaiError",
    "LineageEntry",
    "ModelLineage",
    "ModelRegistry",
    "PerformanceTracker",
    "Promotion",
    "TokenizedModel",
    "__version__",
]
