"""Results read the way old guides read them: ``model['version']``, ``for v in lineage``.

The old SDK returned dicts and lists; this one returns typed objects. Each result class
names the old keys it still answers (`LegacyReads`), with a
``DeprecationWarning`` that gives the attribute to use. A key it never had raises a
``KeyError`` listing the attributes.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Mapping
from types import FrameType
from typing import Any, ClassVar, cast

_MISSING = object()


def deprecated(message: str) -> None:
    """Warn with a ``DeprecationWarning`` attributed to the first caller outside the SDK.

    Examples:
        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     deprecated("old spelling")
        >>> caught[0].category.__name__, str(caught[0].message)
        ('DeprecationWarning', 'old spelling')
    """
    depth, frame = 1, cast("FrameType | None", sys._getframe(1))
    while frame is not None and str(frame.f_globals.get("__name__")).partition(".")[0] == "hokusai":
        depth, frame = depth + 1, frame.f_back
    warnings.warn(message, DeprecationWarning, stacklevel=depth + 1)


class LegacyReads:
    """Mixin: dict-style reads (``result[key]``, ``result.get(key)``) of old guides.

    ``_LEGACY_KEYS`` maps an old key to the attribute that holds its value now (shown in
    the warning); a method ``_legacy_<key>`` computes a value the old key held that no
    single attribute holds.

    Examples:
        >>> from dataclasses import dataclass
        >>> @dataclass
        ... class Result(LegacyReads):
        ...     name: str
        ...     _LEGACY_KEYS = {"model_name": "name"}
        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     Result("m")["model_name"]
        'm'
        >>> print(caught[0].message)
        Result['model_name'] is deprecated: results are objects now, use .name
    """

    _LEGACY_KEYS: ClassVar[Mapping[str, str]] = {}

    def _legacy_read(self, key: object) -> Any:
        if not isinstance(key, str) or key not in self._LEGACY_KEYS:
            return _MISSING
        computed = getattr(self, f"_legacy_{key}", None)
        return computed() if computed is not None else getattr(self, self._LEGACY_KEYS[key])

    def _attribute_names(self) -> str:
        names = getattr(type(self), "__dataclass_fields__", {})
        return ", ".join(n for n in names if not n.startswith("_"))

    def __getitem__(self, key: object) -> Any:
        value = self._legacy_read(key)
        if value is _MISSING:
            raise KeyError(
                f"{type(self).__name__} has no {key!r}: results are objects now, with the "
                f"attributes {self._attribute_names()}."
            )
        deprecated(
            f"{type(self).__name__}[{key!r}] is deprecated: results are objects now, use "
            f".{self._LEGACY_KEYS[key]}"  # type: ignore[index]
        )
        return value

    def get(self, key: object, default: Any = None) -> Any:
        """Old ``result.get(key, default)``: the value, with a ``DeprecationWarning``."""
        value = self._legacy_read(key)
        deprecated(
            f"{type(self).__name__}.get({key!r}) is deprecated: results are objects now, with "
            f"the attributes {self._attribute_names()}."
        )
        return default if value is _MISSING else value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in self._LEGACY_KEYS


class LegacyAttributes:
    """Mixin: attribute names of old results (``entry.creation_timestamp``), with a warning.

    ``_LEGACY_ATTRIBUTES`` maps an old attribute to the current one (or, with a method
    ``_legacy_<name>``, to the hint shown). Any other missing attribute is a plain
    ``AttributeError``, so ``hasattr`` and tools probing the object behave as usual.
    """

    _LEGACY_ATTRIBUTES: ClassVar[Mapping[str, str]] = {}

    def __getattr__(self, name: str) -> Any:
        target = type(self)._LEGACY_ATTRIBUTES.get(name)
        if target is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        deprecated(f"{type(self).__name__}.{name} is deprecated: use .{target}")
        computed = getattr(self, f"_legacy_{name}", None)
        return computed() if computed is not None else getattr(self, target)
