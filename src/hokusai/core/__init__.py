"""The registry SDK: :class:`ModelRegistry` and its typed results."""

from hokusai.core.registry import ModelRegistry
from hokusai.core.results import TokenizedModel

__all__ = ["ModelRegistry", "TokenizedModel"]
