"""Imports copied from old guides: moved names work with a warning, the rest say what to use.

Old guides imported modules and names this SDK does not have (``hokusai.evaluation.
deltaone_evaluator``, ``hokusai.core.ab_testing``, ``from hokusai import setup``…).
Two mechanisms answer them, both driven by the tables below:

- a module ``__getattr__`` (`module_getattr`) on the SDK's own modules: a name
  that moved returns its object with a ``DeprecationWarning``; a name that is gone
  raises `UnsupportedCallError` (an ``AttributeError``, so
  ``hasattr`` and tools probing modules behave as usual);
- a meta-path finder (`LegacyFinder`), consulted last, for ``hokusai.*`` paths
  no file provides. For an old module it raises
  `UnsupportedModuleError` (a ``ModuleNotFoundError``) naming the
  replacement. ``from hokusai import setup`` reaches it too (when a package lacks a
  name, Python tries to import it as a submodule): a gone name raises
  `UnsupportedImportError`. It builds the few old modules whose
  names still work, and answers any other ``hokusai.*`` path with a
  ``ModuleNotFoundError`` that points to the SDK's modules.

Examples:
    >>> import importlib
    >>> try:
    ...     importlib.import_module("hokusai.core.ab_testing")
    ... except ImportError as error:
    ...     print(type(error).__name__, str(error)[:58])
    UnsupportedModuleError hokusai.core.ab_testing is not part of this SDK: A/B traff
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
import warnings
from typing import Any

from hokusai.errors import UnsupportedCallError, UnsupportedImportError, UnsupportedModuleError

CONFIGURE = (
    "the SDK needs no setup call: it reads HOKUSAI_API_KEY and MLFLOW_TRACKING_URI (or the "
    "file written by `hokusai login --api-key <key>`); to configure in code, pass them "
    "explicitly: ModelRegistry(tracking_uri=..., api_key=...)"
)
# What to use instead, by capability of the old guides.
GUIDANCE = {
    "setup": CONFIGURE,
    "status": "`hokusai doctor` shows the tracking URI, where the key came from and whether "
    "the registry answers (in Python: hokusai.diagnostics.run_checks())",
    "errors": "the SDK's exceptions are in hokusai.errors (HokusaiError and its subclasses)",
    "deltaone": "DeltaOne detection is PerformanceTracker().detect_delta_one(model_name) "
    "(threshold_pp=, lower_is_better= instead of a config object; no webhooks: post "
    "result.to_dict() yourself), or hokusai.tracking.delta_one(metric, baseline, new)",
    "versions": "model versions are MLflow registry versions: registry.get_tokenized_model("
    "name, version=None), registry.get_model_lineage(name), registry.promote(name, version), "
    "registry.rollback(name)",
    "models": "there is no model wrapper: train with your framework, log with MLflow (e.g. "
    "mlflow.sklearn.log_model(model, name='model')) and register model_info.model_uri with "
    "registry.register_tokenized_model(...)",
    "ab_testing": "A/B traffic routing belongs to your serving layer (this SDK registers "
    "models): point aliases at versions with registry.promote(name, version, "
    "alias='challenger') and load models:/<name>@<alias> in your service",
    "inference": "serving predictions belongs to your own service: load a registered version "
    "with mlflow.pyfunc.load_model('models:/<name>@production') after registry.promote(...)",
    "dspy": "running DSPy programs belongs to DSPy itself: log a program with "
    "mlflow.dspy.log_model(program, name='model') and register model_info.model_uri with "
    "registry.register_tokenized_model(...)",
    "data": "data submission, contributor profiles and rewards belong to the Hokusai "
    "platform; the registration-side equivalent is "
    "PerformanceTracker().track_improvement(baseline_metrics, improved_metrics, "
    "data_contribution), which logs an attested improvement run, and "
    "PerformanceTracker().detect_delta_one(model_name)",
    "api": "the registry's API is MLflow's own, behind the API-key gateway (`hokusai local "
    "up`, `hokusai gateway serve`)",
    "services": "hokusai.services only re-exports ModelRegistry, ExperimentManager and "
    "PerformanceTracker: use `from hokusai import ModelRegistry` and "
    "`from hokusai.tracking import ExperimentManager, PerformanceTracker`",
    "tracking": "use mlflow.MlflowClient, or manager.client of an ExperimentManager (same URI "
    "and key)",
}
# Old module paths (and everything below them) → capability. The longest match wins.
OLD_MODULES = {
    "hokusai.evaluation": "deltaone",
    "hokusai.services": "services",
    "hokusai.exceptions": "errors",
    "hokusai.services.ab_testing": "ab_testing",
    "hokusai.core.ab_testing": "ab_testing",
    "hokusai.core.inference": "inference",
    "hokusai.core.versioning": "versions",
    "hokusai.core.models": "models",
    "hokusai.core.dspy": "dspy",
    "hokusai.dspy_signatures": "dspy",
    "hokusai.services.dspy": "dspy",
    "hokusai.services.dspy_pipeline_executor": "dspy",
    "hokusai.services.teleprompt_finetuner": "dspy",
    "hokusai.integrations.dspy": "dspy",
    "hokusai.integrations.mlflow_dspy": "dspy",
    "hokusai.data": "data",
    "hokusai.contributors": "data",
    "hokusai.rewards": "data",
    "hokusai.utils.eth_address_validator": "data",
    "hokusai.utils.mlflow_config": "setup",
    "hokusai.auth.client": "setup",
    "hokusai.api": "api",
}
# Old modules that are built, so that their names that moved still import; and the
# packages above old modules (hokusai.utils…), so that those get their own message.
ALIAS_MODULES: tuple[str, ...] = (
    "hokusai.evaluation",
    "hokusai.evaluation.deltaone_evaluator",
    "hokusai.services",
)
ALIAS_MODULES += ("hokusai.exceptions",)
ALIAS_MODULES += tuple(
    sorted(
        {old.rsplit(".", 1)[0] for old in OLD_MODULES if old.count(".") > 1}
        - {"hokusai.core", "hokusai.auth", *ALIAS_MODULES}
    )
)

_REGISTRY = ("hokusai", "ModelRegistry")
_TRACKING = "hokusai.tracking"
_ERRORS = "hokusai.errors"
_SDK: dict[str, tuple[str, ...]] = {
    "ModelRegistry": _REGISTRY,
    "TokenizedModel": ("hokusai", "TokenizedModel"),
}
_SDK |= {n: (_TRACKING, n) for n in ("ExperimentManager", "PerformanceTracker")}
_SDK |= {n: (_TRACKING, n) for n in ("ImprovementResult", "Attestation")}
_OLD_ERRORS: dict[str, tuple[str, ...]] = {
    "HokusaiException": (_ERRORS, "HokusaiError"),
    "MLflowConnectionError": (_ERRORS, "RegistryUnavailableError"),
    "MLflowAuthenticationError": (_ERRORS, "AuthenticationError"),
    "ModelNotFoundError": (_ERRORS, "ModelNotFoundError"),
    "ConfigurationError": (_ERRORS, "ConfigurationError"),
}
_DETECT = ("hokusai._legacy_deltaone", "detect_delta_one")
_DETECT_NOW = "PerformanceTracker().detect_delta_one(model_name) from hokusai.tracking"
_DELTAONE: dict[str, tuple[str, ...]] = {
    "detect_delta_one": (*_DETECT, _DETECT_NOW),
    "detect_delta_one_detailed": (*_DETECT, _DETECT_NOW),
    "DeltaOneResult": (_TRACKING, "DeltaOneResult"),
}
# Module → old name → (module, name[, how to write it now]): these work, with a warning.
MOVED: dict[str, dict[str, tuple[str, ...]]] = {
    "hokusai": _OLD_ERRORS,
    "hokusai.exceptions": _OLD_ERRORS,
    "hokusai.services": _SDK,
    "hokusai.evaluation": {**_SDK, **_DELTAONE},
    "hokusai.evaluation.deltaone_evaluator": _DELTAONE,
}
_SETUP_NAMES = ("init", "setup", "configure", "setup_mlflow_auth", "HokusaiAuth")
_CORE_GONE: dict[str, str] = {
    "ModelVersionManager": "versions",
    "HokusaiModel": "models",
}
_CORE_GONE |= {"ModelFactory": "models", "ModelType": "models"}
_CORE_GONE |= {"HokusaiInferencePipeline": "inference", "ModelTrafficRouter": "ab_testing"}
_CONFIG_GONE = dict.fromkeys(("setup_mlflow_auth", "setup_mlflow", "MLflowAuthConfig"), "setup")
_CONFIG_GONE |= dict.fromkeys(
    ("get_mlflow_auth_status", "get_mlflow_status", "get_mlflow_config"), "status"
)
_CONFIG_GONE |= {"ensure_mlflow_configured": "status"}
# Module → old name → capability: these are gone; the error says what to use.
GONE: dict[str, dict[str, str]] = {
    "hokusai": {**dict.fromkeys(_SETUP_NAMES, "setup"), **_CORE_GONE, "HokusaiClient": "data"},
    "hokusai.core": _CORE_GONE,
    "hokusai.tracking": {"MLflowClient": "tracking"},
    "hokusai.config": _CONFIG_GONE,
    "hokusai.auth": dict.fromkeys(_SETUP_NAMES, "setup"),
}
SDK_MODULES = (
    "hokusai (ModelRegistry), hokusai.tracking (ExperimentManager, PerformanceTracker, "
    "delta_one), hokusai.errors and hokusai.config"
)


def capability_of(fullname: str) -> str | None:
    """The capability an old module path belonged to, by its longest known prefix.

    Examples:
        >>> capability_of("hokusai.services.dspy_pipeline_executor"), capability_of("hokusai.x")
        ('dspy', None)
    """
    parts = fullname.split(".")
    for end in range(len(parts), 1, -1):
        found = OLD_MODULES.get(".".join(parts[:end]))
        if found:
            return found
    return None


def gone_message(fullname: str, capability: str) -> str:
    """The text of the error for an old module or name.

    Examples:
        >>> gone_message("hokusai.init", "setup")[:46]
        'hokusai.init is not part of this SDK: the SDK '
    """
    return f"{fullname} is not part of this SDK: {GUIDANCE[capability]}."


def _moved(module: str, name: str) -> Any:
    target_module, target_name, *spelling = MOVED[module][name]
    now = spelling[0] if spelling else f"`from {target_module} import {target_name}`"
    warnings.warn(
        f"`from {module} import {name}` is deprecated: use {now}.",
        DeprecationWarning,
        stacklevel=3,  # the user's line: Python skips importlib's own frames when counting
    )
    return getattr(importlib.import_module(target_module), target_name)


def module_getattr(module: str, missing: type[Exception] = UnsupportedCallError) -> Any:
    """A module ``__getattr__`` answering the old names of ``module``.

    ``missing`` is the error for a gone name: an ``AttributeError`` for a package (an
    import of the name then reaches `LegacyFinder`), an ``ImportError`` for a
    plain module, whose ``from module import name`` only sees ``__getattr__``.

    Examples:
        >>> getter = module_getattr("hokusai")
        >>> getter("init")
        Traceback (most recent call last):
        ...
        hokusai.errors.UnsupportedCallError: hokusai.init is not part of this SDK: the SDK needs no setup call: it reads HOKUSAI_API_KEY and MLFLOW_TRACKING_URI (or the file written by `hokusai login --api-key <key>`); to configure in code, pass them explicitly: ModelRegistry(tracking_uri=..., api_key=...).
    """

    def __getattr__(name: str) -> Any:
        if name in MOVED.get(module, {}):
            return _moved(module, name)
        capability = GONE.get(module, {}).get(name)
        if capability is None and module in ALIAS_MODULES and not name.startswith("_"):
            capability = capability_of(module)
        if capability is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        raise missing(gone_message(f"{module}.{name}", capability))

    return __getattr__


class LegacyFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Answers ``hokusai.*`` imports that no file provides (see the module docstring)."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if not fullname.startswith("hokusai."):
            return None
        if fullname in ALIAS_MODULES:
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        parent, _, name = fullname.rpartition(".")
        if fullname not in OLD_MODULES and parent in sys.modules:
            # `from hokusai import setup`: a name the module lacks, asked as a submodule.
            gone = GONE.get(parent, {}).get(name)
            if gone is None and parent in ALIAS_MODULES:
                gone = capability_of(parent)
            if gone is not None:  # name=parent, as for any "cannot import name": re-raised
                raise UnsupportedImportError(gone_message(fullname, gone), name=parent)
        capability = capability_of(fullname)
        if capability is not None:
            raise UnsupportedModuleError(gone_message(fullname, capability), name=fullname)
        raise ModuleNotFoundError(
            f"No module named {fullname!r}. The Hokusai SDK's modules are {SDK_MODULES}; for "
            "code copied from the old guide, see 'Migrating from the old guide' in the docs.",
            name=fullname,
        )

    def create_module(self, spec: Any) -> types.ModuleType:
        module = types.ModuleType(spec.name, f"{spec.name}: a module of old guides only.")
        module.__getattr__ = module_getattr(spec.name)  # type: ignore[method-assign]
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        """Nothing to run: the module is its ``__getattr__`` (and, as a package with an
        empty ``__path__``, its old submodules reach this finder too)."""


def install() -> None:
    """Append `LegacyFinder` to ``sys.meta_path`` once (after every real finder)."""
    if not any(isinstance(finder, LegacyFinder) for finder in sys.meta_path):
        sys.meta_path.append(LegacyFinder())
