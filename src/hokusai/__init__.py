"""Hokusai ML platform SDK: register tokenized models in the Hokusai registry.

Example:
    >>> import hokusai
    >>> hokusai.ModelRegistry.__name__
    'ModelRegistry'
"""

from importlib.metadata import PackageNotFoundError, version

from hokusai.core import ModelRegistry, TokenizedModel
from hokusai.errors import HokusaiError

try:
    __version__ = version("hokusai-ml-platform")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["HokusaiError", "ModelRegistry", "TokenizedModel", "__version__"]
