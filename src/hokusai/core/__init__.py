"""The registry SDK: `ModelRegistry` and its typed results.

Examples:
    >>> from hokusai.core import ModelRegistry, TokenizedModel
    >>> ModelRegistry.promote.__name__
    'promote'
"""

from hokusai.core.registry import ModelRegistry
from hokusai.core.results import LineageEntry, ModelLineage, Promotion, TokenizedModel

__all__ = ["LineageEntry", "ModelLineage", "ModelRegistry", "Promotion", "TokenizedModel"]
