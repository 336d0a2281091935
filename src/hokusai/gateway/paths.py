"""Mount prefixes and path safety, on the raw request bytes.

The gateway forwards the *raw* path (exactly the bytes the client sent, minus the
mount prefix) so that percent-encoded characters reach MLflow untouched. That is only
safe when the raw path cannot mean something else once decoded: dot-segments,
encoded slashes or backslashes, and double encodings of those are refused.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from hokusai.gateway.routes import API_ROOTS

# Longest first: "/api/mlflow" must win over a bare "/api/2.0/…".
MOUNT_PREFIXES = ("/api/mlflow", "/mlflow", "")

_ENCODED_SEPARATOR = re.compile(r"%(?:2f|5c|00)", re.IGNORECASE)
_MAX_DECODES = 3


class UnsafePath(ValueError):
    """The raw path could be read as another path once decoded."""


def split_mount(path: str) -> tuple[str, str] | None:
    """``/api/mlflow/api/2.0/mlflow/x`` → (``/api/mlflow``, ``/api/2.0/mlflow/x``).

    The rest must start with one of MLflow's API roots (``/api/``, ``/v1/``,
    ``/gateway/``); ``None`` otherwise.
    """
    for prefix in MOUNT_PREFIXES:
        if path.startswith(prefix) and path.startswith(API_ROOTS, len(prefix)):
            return prefix, path[len(prefix) :]
    return None


def _has_dot_segment(path: str) -> bool:
    return any(segment in (".", "..") for segment in path.split("/"))


def check_raw_path(raw_path: str) -> None:
    """Raise `UnsafePath` for traversal attempts, however they are encoded."""
    if (
        raw_path[:1] == "/"
        and raw_path.isascii()
        and "%" not in raw_path
        and "\\" not in raw_path
        and "/." not in raw_path
    ):
        return  # nothing encoded, and no segment can be "." or ".." without "/."
    if not raw_path.isascii():
        raise UnsafePath("the path has non-ASCII bytes; percent-encode them")
    candidate = raw_path
    for _ in range(_MAX_DECODES):
        if _ENCODED_SEPARATOR.search(candidate):
            raise UnsafePath("the path has an encoded '/', '\\' or NUL (%2F, %5C, %00)")
        if "\\" in candidate or _has_dot_segment(candidate):
            raise UnsafePath("the path has '.' or '..' segments or a backslash")
        if "%" not in candidate:
            return
        decoded = unquote(candidate)
        if decoded == candidate:
            return
        candidate = decoded
    raise UnsafePath("the path is percent-encoded more than twice")
