"""Calls copied from old guides work with a DeprecationWarning or name the right call."""

from __future__ import annotations

import socket

import pytest

import hokusai
from hokusai import ModelRegistry
from hokusai.errors import (
    RegistryUnavailableError,
    UnsupportedCallError,
    UnsupportedImportError,
    ValidationError,
)


def dead_uri() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/mlflow"


@pytest.fixture
def registry() -> ModelRegistry:
    # Nothing listens there: a call that passes validation fails only when it connects.
    return ModelRegistry(tracking_uri=dead_uri(), api_key="hk_test_x")


def test_old_keywords_warn_naming_new_ones_and_convert_numeric_string(registry):
    with pytest.warns(DeprecationWarning) as caught, pytest.raises(RegistryUnavailableError):
        registry.register_tokenized_model(
            model_uri="models:/m-1",
            name="lead-scorer",
            token_id="LSCOR",
            benchmark_metric="accuracy",
            benchmark_value="0.85",
        )
    message = str(caught[0].message)
    assert message == (
        "register_tokenized_model(name=..., benchmark_metric=..., benchmark_value=...) is "
        "deprecated: use model_name=..., metric_name=..., baseline_value=... instead."
    )
    assert caught[0].filename == __file__  # points at the caller's line


def test_old_keyword_with_non_numeric_string_is_a_validation_error(registry):
    with pytest.warns(DeprecationWarning), pytest.raises(ValidationError) as info:
        registry.register_tokenized_model(
            "models:/m-1", name="m", token_id="T", benchmark_metric="acc", benchmark_value="high"
        )
    assert str(info.value) == (
        "benchmark_value='high' is not a number: pass baseline_value= as a number, e.g. "
        "baseline_value=0.85."
    )


def test_old_and_new_keyword_together_is_rejected(registry):
    with (
        pytest.warns(DeprecationWarning),
        pytest.raises(ValidationError, match="pass only model_name="),
    ):
        registry.register_tokenized_model("models:/m-1", "m", "T", "acc", 0.8, name="other")


def test_string_baseline_under_new_keyword_names_the_fix(registry):
    with pytest.raises(ValidationError, match=r"Pass baseline_value=0\.85 \(a number"):
        registry.register_tokenized_model("models:/m-1", "m", "T", "acc", "0.85")


def test_get_tokenized_model_accepts_old_name_keyword(registry):
    with (
        pytest.warns(DeprecationWarning, match="use model_name="),
        pytest.raises(RegistryUnavailableError),
    ):
        registry.get_tokenized_model(name="lead-scorer")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("register_model", "registry.register_tokenized_model(model_uri, model_name, token_id"),
        ("promote_model", "registry.promote(model_name, version, alias='production')"),
        ("rollback_model", "registry.rollback(model_name, alias='production')"),
        ("get_model", "registry.get_tokenized_model(model_name, version=None)"),
    ],
)
def test_phantom_methods_name_the_right_one(registry, old, new):
    with pytest.raises(UnsupportedCallError) as info:
        getattr(registry, old)("lead-scorer")
    assert isinstance(info.value, AttributeError)
    assert str(info.value).startswith(f"ModelRegistry has no method {old!r}: use {new}")


def test_other_missing_attributes_stay_plain_attribute_errors(registry):
    with pytest.raises(AttributeError) as info:
        registry.no_such_thing  # noqa: B018
    assert not isinstance(info.value, UnsupportedCallError)
    assert not hasattr(registry, "register_model")


def test_hokusai_init_and_from_import_give_the_same_message():
    with pytest.raises(UnsupportedCallError) as attribute:
        hokusai.init(api_key="hk_live_x")
    with pytest.raises(UnsupportedImportError) as imported:
        exec("from hokusai import init", {})
    assert str(attribute.value) == str(imported.value)
    assert str(imported.value).startswith("hokusai.init is not part of this SDK: ")
    assert "HOKUSAI_API_KEY" in str(imported.value)
    assert "ModelRegistry(tracking_uri=..., api_key=...)" in str(imported.value)


@pytest.mark.parametrize("module", ["hokusai.evaluation", "hokusai.services"])
def test_old_modules_known_names_work_with_warning(module):
    with pytest.warns(
        DeprecationWarning,
        match=rf"`from {module} import PerformanceTracker` is deprecated: use `from hokusai.tracking import PerformanceTracker`",
    ) as caught:
        exec(compile(f"from {module} import PerformanceTracker", __file__, "exec"), {})
    assert {w.filename for w in caught} == {__file__}  # the warning points at the import line
    with pytest.warns(DeprecationWarning, match="use `from hokusai import ModelRegistry`"):
        namespace: dict = {}
        exec(f"from {module} import ModelRegistry", namespace)
    assert namespace["ModelRegistry"] is ModelRegistry


@pytest.mark.parametrize("module", ["hokusai.evaluation", "hokusai.services"])
def test_old_modules_unknown_names_name_the_right_import(module):
    with pytest.raises(UnsupportedImportError) as info:
        exec(f"from {module} import ModelEvaluator", {})
    assert isinstance(info.value, ImportError)
    assert str(info.value).startswith(f"{module}.ModelEvaluator is not part of this SDK: ")
