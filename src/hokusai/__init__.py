"""Hokusai ML platform SDK: register tokenized models in the Hokusai registry.

Examples:
    >>> import hokusai
    >>> hokusai.ModelRegistry.__name__
    'ModelRegistry'
"""

from importlib.metadata import PackageNotFoundError, version

from hokusai import (
    _environment,  # noqa: F401 - first: stops on a mixed or too old MLflow
    _legacy,
)
from hokusai.core import LineageEntry, ModelLineage, ModelRegistry, Promotion, TokenizedModel
from hokusai.errors import HokusaiError
from hokusai.tracking import ExperimentManager, PerformanceTracker

try:
    __version__ = version("hokusai-ml-platform")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"


# Names and modules of old guides: moved ones work with a warning, the rest say what to use.
__getattr__ = _legacy.module_getattr(__name__)
_legacy.install()

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
