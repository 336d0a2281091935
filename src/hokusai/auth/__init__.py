"""API keys on the client side: which key a request carries.

The key is chosen by the precedence rule of `hokusai.config`. SDK objects built
with an explicit ``api_key=`` send that key for their own calls only
(`using_api_key`); plain ``mlflow`` calls pick up ``HOKUSAI_API_KEY`` (or the
config file) through the installed MLflow header plugin.

Examples:
    >>> from hokusai.auth import current_api_key, using_api_key
    >>> with using_api_key("hk_test_example"):
    ...     current_api_key()
    'hk_test_example'
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

from hokusai._legacy import module_getattr
from hokusai.config import resolve_api_key

API_KEY_HEADER = "X-API-Key"
"""The header the SDK and its MLflow plugin send the key in."""

CLIENT_PRODUCT = "hokusai-ml-platform"
"""What the MLflow plugin adds to every request's ``User-Agent`` (``<product>/<version>``),
so the gateway can tell the SDK from the plain ``mlflow`` client."""

_active_key: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "hokusai_api_key", default=None
)


@contextlib.contextmanager
def using_api_key(api_key: str | None) -> Iterator[None]:
    """Send ``api_key`` with every MLflow request made inside the ``with`` block.

    The key is held in a context variable, so threads and asyncio tasks that do not
    enter the block keep their own key.

    Examples:
        >>> with using_api_key("hk_test_a"):
        ...     with using_api_key("hk_test_b"):
        ...         inner = current_api_key()
        ...     outer = current_api_key()
        >>> inner, outer
        ('hk_test_b', 'hk_test_a')
    """
    token = _active_key.set(api_key)
    try:
        yield
    finally:
        _active_key.reset(token)


def current_api_key() -> str | None:
    """The key for the next request: the active SDK key, else the configured one.

    Examples:
        >>> with using_api_key("hk_test_active"):
        ...     current_api_key()
        'hk_test_active'
    """
    key = _active_key.get()
    if key:
        return key
    setting = resolve_api_key()
    return setting.value if setting else None


__all__ = ["API_KEY_HEADER", "CLIENT_PRODUCT", "current_api_key", "using_api_key"]

# Names of old guides: each says what to use instead (see hokusai._legacy).
__getattr__ = module_getattr(__name__)
