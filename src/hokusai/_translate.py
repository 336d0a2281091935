"""Turn MLflow and HTTP failures into Hokusai errors that say what to do."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator

from hokusai.errors import (
    AuthenticationError,
    ConfigurationError,
    HokusaiError,
    ModelNotFoundError,
    PermissionDeniedError,
    RegistryNotFoundError,
    RegistryUnavailableError,
)

# MLflow's defaults retry a 503 for 247 s in silence (MLFLOW_FACTS §4); ours fail in seconds.
# A user's own setting of any of these variables wins.
BOUNDED_RETRIES = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "60",
}

LOCAL_HINT = "e.g. http://127.0.0.1:5000/api/mlflow as printed by `hokusai local up`"
_UNREACHABLE = re.compile(
    r"Connection refused|NewConnectionError|Max retries exceeded|Failed to resolve|"
    r"Name or service not known|ConnectTimeout|ReadTimeout|timed out|RemoteDisconnected"
)


def bound_retries() -> None:
    """Apply :data:`BOUNDED_RETRIES` where the user has not chosen otherwise."""
    for name, value in BOUNDED_RETRIES.items():
        os.environ.setdefault(name, value)


def _status_of(exc: Exception) -> int | None:
    response = getattr(exc, "response", None)
    if response is not None and getattr(response, "status_code", None):
        return response.status_code
    getter = getattr(exc, "get_http_status_code", None)
    return getter() if getter else None


def translate(exc: Exception, tracking_uri: str) -> HokusaiError:
    """The Hokusai error for an exception raised by MLflow or requests."""
    code = getattr(exc, "error_code", "")
    text = str(exc)
    status = _status_of(exc)
    message = getattr(exc, "message", text)
    if code == "UNAUTHENTICATED" or status == 401:
        return AuthenticationError(f"The registry at {tracking_uri} refused the request: {message}")
    if code == "PERMISSION_DENIED" or (status == 403 and "Invalid Host header" not in text):
        return PermissionDeniedError(f"The registry at {tracking_uri} refused the request: {message}")
    if "Invalid Host header" in text:
        return ConfigurationError(
            f"MLflow behind {tracking_uri} rejected the Host header (403). The MLflow server "
            "needs --allowed-hosts listing the host name clients use."
        )
    if code == "RESOURCE_DOES_NOT_EXIST":
        return ModelNotFoundError(message)
    if code == "ENDPOINT_NOT_FOUND" or status == 404 or "'Not Found'" in text:
        return RegistryNotFoundError(
            f"{tracking_uri} is not the MLflow API of a Hokusai registry (HTTP 404). Set "
            f"MLFLOW_TRACKING_URI to the registry's tracking URI, {LOCAL_HINT}, or "
            "https://registry.hokus.ai/api/mlflow."
        )
    if _UNREACHABLE.search(text) or code == "TEMPORARILY_UNAVAILABLE" or (status or 0) >= 500:
        reason = _UNREACHABLE.search(text)
        return RegistryUnavailableError(
            f"Cannot reach the registry at {tracking_uri}"
            f" ({reason.group(0) if reason else message}). If it is your local registry, start "
            "it with `hokusai local up`; otherwise check MLFLOW_TRACKING_URI and retry later."
        )
    return HokusaiError(f"The registry at {tracking_uri} answered: {text}")


@contextlib.contextmanager
def translated_errors(tracking_uri: str) -> Iterator[None]:
    """Re-raise MLflow / requests failures inside the block as Hokusai errors."""
    import requests
    from mlflow.exceptions import MlflowException

    try:
        yield
    except HokusaiError:
        raise
    except (MlflowException, requests.RequestException) as exc:
        raise translate(exc, tracking_uri) from exc
