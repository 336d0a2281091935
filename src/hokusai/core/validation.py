"""Argument checks that run before anything is sent to the registry."""

from __future__ import annotations

import math
import re
from numbers import Real

from hokusai.errors import ValidationError

TOKEN_ID_PATTERN = re.compile(r"[A-Za-z0-9-]{1,64}")


def check_token_id(token_id: object) -> str:
    """A valid token id (``^[A-Za-z0-9-]{1,64}$``), else `ValidationError`.

    Examples:
        >>> check_token_id("LSCOR")
        'LSCOR'
    """
    if not isinstance(token_id, str) or not TOKEN_ID_PATTERN.fullmatch(token_id):
        raise ValidationError(
            f"token_id {token_id!r} is not valid: use 1-64 letters, digits or hyphens, "
            "e.g. token_id='LSCOR'."
        )
    return token_id


def check_number(value: object, argument: str) -> float:
    """A finite number as ``float``; strings are refused with the call to write instead.

    Examples:
        >>> check_number(1, "baseline_value")
        1.0
        >>> check_number("0.85", "baseline_value")
        Traceback (most recent call last):
        ...
        hokusai.errors.ValidationError: baseline_value must be a number, got '0.85'. Pass baseline_value=0.85 (a number, not a string).
    """
    if isinstance(value, bool) or not isinstance(value, Real):
        hint = ""
        if isinstance(value, str):
            try:
                hint = f" Pass {argument}={float(value)!r} (a number, not a string)."
            except ValueError:
                hint = f" Pass a number, e.g. {argument}=0.85."
        raise ValidationError(f"{argument} must be a number, got {value!r}.{hint}")
    number = float(value)
    if not math.isfinite(number):
        raise ValidationError(f"{argument} must be a finite number, got {value!r}.")
    return number


def check_name(value: object, argument: str) -> str:
    """A non-empty string.

    Examples:
        >>> check_name("lead-scorer", "model_name")
        'lead-scorer'
    """
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{argument} must be a non-empty string, got {value!r}.")
    return value


def check_tags(tags: object) -> dict[str, str]:
    """Tags as ``dict[str, str]`` (values converted with ``str``); ``None`` is ``{}``.

    Examples:
        >>> check_tags({"team": "growth", "rows": 1000})
        {'team': 'growth', 'rows': '1000'}
    """
    if tags is None:
        return {}
    if not isinstance(tags, dict) or not all(isinstance(k, str) for k in tags):
        raise ValidationError(
            f"additional_tags must be a dict of str to str, got {tags!r}, "
            "e.g. additional_tags={'team': 'growth'}."
        )
    return {key: str(value) for key, value in tags.items()}
