"""Waiting for something another process does, by polling it: never a fixed sleep."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(
    check: Callable[[], T],
    what: str,
    timeout: float = 10.0,
    interval: float = 0.05,
    detail: Callable[[], str] = lambda: "",
) -> T:
    """Call ``check`` until it returns something true, and return that; fail after
    ``timeout`` seconds, saying ``what`` was awaited (and ``detail()``, if given)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:g} s for {what}\n{detail()}".rstrip())
        time.sleep(interval)
