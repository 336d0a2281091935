"""Calls copied from old guides: renamed keywords warn, phantom methods name the right one."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from hokusai._legacy_reads import deprecated
from hokusai.errors import UnsupportedCallError, ValidationError

F = TypeVar("F", bound=Callable[..., Any])

# Old keyword → new keyword, for every ModelRegistry method that takes them.
LEGACY_KEYWORDS = {
    "name": "model_name",
    "tags": "additional_tags",
    "benchmark_metric": "metric_name",
    "benchmark_value": "baseline_value",
}
NUMERIC_KEYWORDS = ("baseline_value", "metric_value")

# Methods of old guides (some never existed) → what to use instead.
OLD_METHODS = {
    "register_model": "use registry.register_tokenized_model(model_uri, model_name, token_id, "
    "metric_name, baseline_value)",
    "promote_model": "use registry.promote(model_name, version, alias='production')",
    "rollback_model": "use registry.rollback(model_name, alias='production')",
    "get_model": "use registry.get_tokenized_model(model_name, version=None)",
    "get_latest_model": "use registry.get_tokenized_model(model_name)",
    "list_models_by_token_id": "use registry.list_models_by_token(token_id)",
    "get_lineage": "use registry.get_model_lineage(model_name)",
    "register_baseline_model": "use registry.register_baseline(model_uri, model_name, "
    "metric_name, metric_value)",
    "register_improved_model": "register the improved model with "
    "registry.register_tokenized_model(model_uri, model_name, token_id, metric_name, "
    "baseline_value) and record the contribution with "
    "PerformanceTracker().track_improvement(baseline_metrics, improved_metrics, "
    "data_contribution)",
    "get_model_info": "use registry.get_tokenized_model(model_name) or "
    "registry.get_model_lineage(model_name); data requirements are not stored in the registry",
    "get_model_by_id": "use registry.get_tokenized_model(model_name, version)",
    "list_models_by_type": "use registry.list_models() or registry.list_models_by_token(token_id)",
    "validate_hokusai_tags": "register_tokenized_model checks token_id, metric_name and "
    "baseline_value itself and raises ValidationError before anything is sent",
    "validate_token_id": "register_tokenized_model checks the token id itself (1-64 letters, "
    "digits or hyphens) and raises ValidationError before anything is sent",
    "update_model_tags": "use registry.client.set_model_version_tag(model_name, version, key, "
    "value) inside `with registry.session():`",
    "delete_model_version": "use registry.client.delete_model_version(model_name, version) "
    "inside `with registry.session():`",
}
OLD_BASELINE_KEYWORDS = ("model", "model_type", "metadata")
BASELINE_PARAMETERS = (
    "model",
    "model_name",
    "metric_name",
    "metric_value",
    "token_id",
    "additional_tags",
)


def legacy_keywords(method: F) -> F:
    """Accept the old keyword names of ``method`` with a ``DeprecationWarning``.

    A string baseline passed through an old keyword (``benchmark_value="0.85"``) is
    converted when it is a number, else rejected with a `ValidationError`.

    Examples:
        >>> import warnings
        >>> @legacy_keywords
        ... def register(model_name, baseline_value):
        ...     return model_name, baseline_value
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     register(name="m", benchmark_value="0.85")
        ('m', 0.85)
        >>> print(caught[0].message)
        register(name=..., benchmark_value=...) is deprecated: use model_name=..., baseline_value=... instead.
    """

    parameters = list(inspect.signature(method).parameters)
    renames = {old: new for old, new in LEGACY_KEYWORDS.items() if new in parameters}
    if "metric_value" in parameters:  # register_baseline's value was "benchmark_value" too
        renames["benchmark_value"] = "metric_value"

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        old = [key for key in kwargs if key in renames]
        given = {*kwargs, *parameters[: len(args)]}
        if old:
            new = [renames[key] for key in old]
            deprecated(
                f"{method.__name__}({', '.join(f'{k}=...' for k in old)}) is deprecated: use "
                f"{', '.join(f'{k}=...' for k in new)} instead."
            )
            for key, replacement in zip(old, new, strict=True):
                if replacement in given:
                    raise ValidationError(
                        f"{method.__name__}() got both {key}= and {replacement}=: pass only "
                        f"{replacement}=."
                    )
                value = kwargs.pop(key)
                if replacement in NUMERIC_KEYWORDS and isinstance(value, str):
                    value = _number_from_text(value, key, replacement)
                kwargs[replacement] = value
        return method(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _number_from_text(value: str, old: str, new: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise ValidationError(
            f"{old}={value!r} is not a number: pass {new}= as a number, e.g. {new}=0.85."
        ) from None


def unsupported(owner: str, name: str, table: dict[str, str]) -> AttributeError:
    """The error for ``owner.name``: guidance for an old method, else a plain AttributeError.

    A plain ``AttributeError`` keeps ``hasattr`` and tools that probe objects working.

    Examples:
        >>> print(unsupported("ModelRegistry", "register_model", OLD_METHODS))
        ModelRegistry has no method 'register_model': use registry.register_tokenized_model(model_uri, model_name, token_id, metric_name, baseline_value).
        >>> type(unsupported("ModelRegistry", "no_such_thing", OLD_METHODS)).__name__
        'AttributeError'
    """
    if name in table:
        return UnsupportedCallError(f"{owner} has no method {name!r}: {table[name]}.")
    return AttributeError(f"{owner!r} object has no attribute {name!r}")


def is_old_baseline_call(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """True for ``register_baseline(model=<object>, model_type=...)`` and its positional form.

    Examples:
        >>> is_old_baseline_call(("models:/m-1", "scorer", "accuracy", 0.8), {})
        False
        >>> is_old_baseline_call((object(), "classification"), {})
        True
    """
    first = args[0] if args else kwargs.get("model_uri")
    return any(key in kwargs for key in OLD_BASELINE_KEYWORDS) or (
        first is not None and not isinstance(first, str)
    )


def _benchmark_from_metadata(metadata: dict[str, Any]) -> tuple[str, float, dict[str, Any]]:
    """The one number in ``metadata`` (or in its ``metrics`` dict) and the rest."""
    candidate = metadata.get("metrics")
    nested: dict[str, Any] = candidate if isinstance(candidate, dict) else {}
    numbers = {
        key: value
        for key, value in [*metadata.items(), *nested.items()]
        if isinstance(value, int | float) and not isinstance(value, bool)
    }
    if len(numbers) != 1:
        found = f" (metadata has {', '.join(map(repr, numbers))})" if numbers else ""
        raise ValidationError(
            "register_baseline() needs the benchmark the baseline is measured by"
            f"{found}: pass it, e.g. registry.register_baseline(model_uri, model_name, "
            "metric_name='accuracy', metric_value=0.85)."
        )
    (name, value), rest = next(iter(numbers.items())), dict(metadata)
    rest.pop(name, None)
    if nested and name in nested:
        rest.pop("metrics")
    return name, float(value), rest


def old_baseline_call(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """The arguments of an old ``register_baseline`` call, checked, with a warning.

    Returns ``model``, ``trusted_types`` (see `
    check_loggable`), ``model_name``, ``metric_name``, ``metric_value``, ``token_id`` and
    ``additional_tags``. The benchmark comes from ``metric_name``/``metric_value``,
    else from the single number in ``metadata``; the rest of ``metadata`` becomes tags.
    Nothing is logged or sent here.
    """
    from hokusai.core import validation as check

    if len(args) > len(BASELINE_PARAMETERS):
        raise ValidationError(
            "register_baseline() takes model_uri, model_name, metric_name, metric_value, "
            "token_id and additional_tags."
        )
    call = dict(zip(BASELINE_PARAMETERS, args, strict=False))
    for key, value in kwargs.items():
        target = {"model_type": "model_name", "tags": "additional_tags"}.get(key, key)
        if target in call or (key == "model_uri" and "model" in call):
            raise ValidationError(f"register_baseline() got {target}= twice: pass it once.")
        if target not in (*BASELINE_PARAMETERS, "metadata", "model_uri"):
            raise ValidationError(
                f"register_baseline() got an unexpected keyword argument {key!r}: it takes "
                "model_uri, model_name, metric_name, metric_value, token_id, additional_tags."
            )
        call["model" if target == "model_uri" else target] = value
    model, name = call.get("model"), check.check_name(call.get("model_name"), "model_type")
    trusted: list[str] = []
    if model is not None and not isinstance(model, str):
        from hokusai.core._model_objects import check_loggable

        trusted = check_loggable(model, name)  # before anything else: the object's kind
    metadata = call.pop("metadata", None) or {}
    if not isinstance(metadata, dict):
        raise ValidationError(f"metadata must be a dict, got {metadata!r}.")
    taken = ""
    if call.get("metric_name") is None and call.get("metric_value") is None:
        call["metric_name"], call["metric_value"], metadata = _benchmark_from_metadata(metadata)
        taken = f" (metric_name={call['metric_name']!r} and its value come from metadata)"
    metric = check.check_name(call.get("metric_name"), "metric_name")
    value = check.check_number(call.get("metric_value"), "metric_value")
    if call.get("token_id") is not None:
        check.check_token_id(call["token_id"])
    tags = {
        **{k: v if isinstance(v, str) else repr(v) for k, v in metadata.items()},
        **check.check_tags(call.get("additional_tags")),
    }
    deprecated(
        "register_baseline(model=<object>, model_type=...) is deprecated: log the model with "
        f"mlflow.sklearn.log_model(model, name='model'), then call registry.register_baseline("
        f"model_info.model_uri, {name!r}, {metric!r}, {value!r}){taken}."
    )
    return {
        "model": model,
        "trusted_types": trusted,
        "model_name": name,
        "metric_name": metric,
        "metric_value": value,
        "token_id": call.get("token_id"),
        "additional_tags": check.check_tags(tags),
    }


def legacy_baseline(method: F) -> F:
    """Accept old guides' ``register_baseline(model=<object>, model_type=..., metadata=...)``.

    The object is checked (scikit-learn, fitted), logged as an MLflow model, then
    registered by the current method; argument errors are raised before anything is
    logged.
    """

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not is_old_baseline_call(args, kwargs):
            return method(self, *args, **kwargs)
        from hokusai.core import _model_objects

        call = old_baseline_call(args, kwargs)
        model, trusted = call.pop("model"), call.pop("trusted_types")
        if model is None:
            raise ValidationError(
                "register_baseline() got no model: pass model_uri (e.g. model_info.model_uri "
                "from mlflow.sklearn.log_model) or a trained scikit-learn model as model=."
            )
        if isinstance(model, str):  # a model URI with old keywords (metadata=, model_type=)
            return method(self, model, **call)
        model_uri = _model_objects.upload_sklearn(self, model, trusted)
        return method(self, model_uri, **call)

    return wrapper  # type: ignore[return-value]
