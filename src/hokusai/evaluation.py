"""``hokusai.evaluation`` only exists for code copied from old guides.

Known names still work with a ``DeprecationWarning``; anything else raises an
`UnsupportedImportError` naming the right import.

Examples:
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", DeprecationWarning)
    ...     from hokusai.evaluation import PerformanceTracker
    >>> PerformanceTracker.__module__
    'hokusai.tracking.performance'
"""

from hokusai._legacy import legacy_module_getattr

__getattr__ = legacy_module_getattr(__name__)
