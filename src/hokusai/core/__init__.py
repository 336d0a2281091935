"""The registry SDK: `ModelRegistry` and its typed results.

Examples:
    >>> from hokusai.core import ModelRegistry, TokenizedModel
    >>> ModelRegistry.promote.__name__
    'promote'
"""

from hokusai._legacy import module_getattr
from hokusai.core.registry import ModelRegistry
from hokusai.core.results import LineageEntry, ModelLineage, Promotion, TokenizedModel

__all__ = ["LineageEntry", "ModelLineage", "ModelRegistry", "Promotion", "TokenizedModel"]

# Names of old guides: each says what to use instead (see hokusai._legacy).
__getattr__ = module_getattr(__name__)
