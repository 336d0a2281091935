"""Argument checks that run before anything is sent to the registry."""

from __future__ import annotations

import math
import re
from numbers import Real

from hokusai.errors import ValidationError

TOKEN_ID_PATTERN = re.compile(r"[A-Za-z0-9-]{1,64}")


def check_token_id(token_id: object) -> str:
    if not isinstance(token_id, str) or not TOKEN_ID_PATTERN.fullmatch(token_id):
        raise ValidationError(
            f"token_id {token_id!r} is not valid: use 1-64 letters, digits or hyphens, "
            "e.g. token_id='LSCOR'."
        )
    return token_id


def check_number(value: object, argument: str) -> float:
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
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{argument} must be a non-empty string, got {value!r}.")
    return value


def check_tags(tags: object) -> dict[str, str]:
    if tags is None:
        return {}
    if not isinstance(tags, dict) or not all(isinstance(k, str) for k in tags):
        raise ValidationError(
            f"additional_tags must be a dict of str to str, got {tags!r}, "
            "e.g. additional_tags={'team': 'growth'}."
        )
    return {key: str(value) for key, value in tags.items()}
