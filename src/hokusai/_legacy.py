"""Modules and functions of old guides: known names work with a warning, others say where to go."""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable
from typing import Any

from hokusai.errors import UnsupportedCallError, UnsupportedImportError

# Name → (module it lives in now).
MOVED_NAMES = {
    "ModelRegistry": "hokusai",
    "TokenizedModel": "hokusai",
    "ExperimentManager": "hokusai.tracking",
    "PerformanceTracker": "hokusai.tracking",
    "ImprovementResult": "hokusai.tracking",
    "Attestation": "hokusai.tracking",
}
_TOOL_PROBES = ("_", "pytest", "setup", "teardown", "setUp", "tearDown", "load_tests")
RIGHT_IMPORTS = (
    "`from hokusai import ModelRegistry` (registration, lineage, promotion) or "
    "`from hokusai.tracking import ExperimentManager, PerformanceTracker` (runs, improvements)"
)
INIT_MESSAGE = (
    "hokusai.init() does not exist: the SDK reads HOKUSAI_API_KEY and MLFLOW_TRACKING_URI "
    "(or the file written by `hokusai login --api-key <key>`); to configure in code, pass "
    "them explicitly: ModelRegistry(tracking_uri=..., api_key=...)."
)


def legacy_module_getattr(module: str) -> Callable[[str], Any]:
    """A module ``__getattr__`` for an old guide's module name.

    Examples:
        >>> getter = legacy_module_getattr("hokusai.services")
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     getter("ModelRegistry").__name__
        'ModelRegistry'
    """

    def __getattr__(name: str) -> Any:
        if name.startswith(_TOOL_PROBES):  # pytest, doctest, IDEs probing the module
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        target = MOVED_NAMES.get(name)
        if target is None:
            raise UnsupportedImportError(
                f"{module}.{name} does not exist ({module} is a module of old guides). "
                f"Use {RIGHT_IMPORTS}.",
                name=name,
            )
        warnings.warn(
            f"`from {module} import {name}` is deprecated: use `from {target} import {name}`.",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module(target), name)

    return __getattr__


def init(*args: Any, **kwargs: Any) -> None:
    """Old guides' ``hokusai.init(...)``: always fails, naming what to do instead."""
    raise UnsupportedCallError(INIT_MESSAGE)
