"""Calls copied from old guides: renamed keywords warn, phantom methods name the right one."""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

from hokusai.errors import UnsupportedCallError, ValidationError

F = TypeVar("F", bound=Callable[..., Any])

# Old keyword → new keyword, for every ModelRegistry method that takes them.
LEGACY_KEYWORDS = {
    "name": "model_name",
    "benchmark_metric": "metric_name",
    "benchmark_value": "baseline_value",
}
NUMERIC_KEYWORDS = ("baseline_value", "metric_value")

# Methods of old guides (some never existed) → the call to use instead.
OLD_METHODS = {
    "register_model": "register_tokenized_model(model_uri, model_name, token_id, metric_name, baseline_value)",
    "promote_model": "promote(model_name, version, alias='production')",
    "rollback_model": "rollback(model_name, alias='production')",
    "get_model": "get_tokenized_model(model_name, version=None)",
    "get_latest_model": "get_tokenized_model(model_name)",
    "list_models_by_token_id": "list_models_by_token(token_id)",
    "get_lineage": "get_model_lineage(model_name)",
    "register_baseline_model": "register_baseline(model_uri, model_name, metric_name, metric_value)",
}


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
            warnings.warn(
                f"{method.__name__}({', '.join(f'{k}=...' for k in old)}) is deprecated: use "
                f"{', '.join(f'{k}=...' for k in new)} instead.",
                DeprecationWarning,
                stacklevel=2,
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


def unsupported_method(owner: str, name: str) -> AttributeError:
    """The error for ``owner.name`` when ``name`` is not a method.

    Examples:
        >>> print(unsupported_method("ModelRegistry", "register_model"))
        ModelRegistry has no method 'register_model': use registry.register_tokenized_model(model_uri, model_name, token_id, metric_name, baseline_value).
    """
    if name in OLD_METHODS:
        return UnsupportedCallError(
            f"{owner} has no method {name!r}: use registry.{OLD_METHODS[name]}."
        )
    return AttributeError(f"{owner!r} object has no attribute {name!r}")
