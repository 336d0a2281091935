"""Old import paths are guided without breaking the tools that probe modules.

The shapes of the old guide themselves are in tests/old_guide; this file checks the
mechanism: which errors are which classes, and that hasattr, doctest, inspect, pytest's
importorskip and ``try: import … except ImportError`` behave as with any package.
"""

from __future__ import annotations

import doctest
import importlib
import importlib.machinery
import importlib.util
import inspect
import subprocess
import sys
import warnings

import pytest

import hokusai
import hokusai.config
import hokusai.core
import hokusai.tracking
from hokusai._legacy import ALIAS_MODULES, GONE, MOVED, OLD_MODULES, LegacyFinder
from hokusai.errors import (
    HokusaiError,
    UnsupportedCallError,
    UnsupportedImportError,
    UnsupportedModuleError,
)

PROBES = ("setup_module", "setUpModule", "teardown", "load_tests", "pytest_plugins", "__wrapped__")
PROBES += ("_pytestfixturefunction", "__test__", "__path__x", "pytestmark", "no_such_name")


def old_module(name: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return importlib.import_module(name)


@pytest.mark.parametrize(
    "module",
    [hokusai, hokusai.core, hokusai.tracking, hokusai.config, *map(old_module, ALIAS_MODULES)],
    ids=lambda m: m.__name__,
)
def test_probing_any_module_never_raises(module):
    for name in PROBES:
        assert hasattr(module, name) in (False, name == "__test__" and False), name
    inspect.getmembers(module)  # walks dir() and getattr
    doctest.DocTestFinder().find(module)


def test_gone_names_are_attribute_errors_for_hasattr_and_guided_for_use():
    for module, names in GONE.items():
        imported = importlib.import_module(module)
        for name in names:
            if module == "hokusai.config":
                continue  # a plain module: see test_plain_module_gone_name_is_an_import_error
            assert not hasattr(imported, name), f"{module}.{name}"
            with pytest.raises(UnsupportedCallError, match=f"{module}.{name} is not part of"):
                getattr(imported, name)


def test_plain_module_gone_name_is_an_import_error():
    """`from hokusai.config import X` only sees __getattr__: it must raise an ImportError."""
    with pytest.raises(UnsupportedImportError, match=r"hokusai\.config\.setup_mlflow is not part"):
        hokusai.config.setup_mlflow  # noqa: B018
    assert not hasattr(hokusai.config, "no_such_name")


@pytest.mark.parametrize("old", sorted(OLD_MODULES))
def test_every_old_module_is_an_import_error_user_code_can_catch(old):
    try:
        module = old_module(old)
    except ImportError as error:
        assert isinstance(error, UnsupportedModuleError)  # a ModuleNotFoundError, guided
        assert error.name == old
        assert "is not part of this SDK" in str(error)
    else:
        assert old in ALIAS_MODULES, old  # the few old modules that still import
        assert module.__path__ == []


def test_moved_names_are_the_same_objects_with_a_warning_at_the_users_line():
    for module, names in MOVED.items():
        for name, (target, target_name, *_) in names.items():
            with pytest.warns(DeprecationWarning, match=f"`from {module} import {name}`") as caught:
                value = getattr(old_module(module), name)
            assert caught[0].filename == __file__
            assert value is getattr(importlib.import_module(target), target_name)


def test_unknown_paths_are_module_not_found_with_a_hint():
    with pytest.raises(ModuleNotFoundError) as info:
        importlib.import_module("hokusai.no_such_module")
    assert not isinstance(info.value, HokusaiError)
    assert info.value.name == "hokusai.no_such_module"
    assert "Migrating from the old guide" in str(info.value)
    assert "hokusai.tracking" in str(info.value)
    # as for any missing submodule of a missing parent, find_spec raises too
    with pytest.raises(ModuleNotFoundError):
        importlib.util.find_spec("hokusai.no_such_module")


def test_importorskip_and_try_import_work_as_with_any_missing_module():
    with pytest.raises(pytest.skip.Exception):
        pytest.importorskip("hokusai.data")
    try:
        from hokusai.core.ab_testing import ModelTrafficRouter  # noqa: F401
    except ImportError:
        pass
    else:  # pragma: no cover
        pytest.fail("hokusai.core.ab_testing imported")


def test_real_modules_are_found_by_their_files_first():
    assert importlib.util.find_spec("hokusai.gateway").origin.endswith("__init__.py")
    finders = [f if isinstance(f, type) else type(f) for f in sys.meta_path]
    assert finders.count(LegacyFinder) == 1
    assert finders.index(importlib.machinery.PathFinder) < finders.index(LegacyFinder)


def test_a_fresh_interpreter_can_start_with_an_old_import():
    """The finder is installed by `import hokusai`, which any hokusai.* import runs first."""
    code = (
        "try:\n"
        "    from hokusai.evaluation.deltaone_evaluator import DeltaOneConfig\n"
        "except ImportError as error:\n"
        "    print(type(error).__name__)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "UnsupportedImportError"
