"""Turn MLflow and HTTP failures into Hokusai errors that say what to do."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from hokusai._retries import RetryPolicy
from hokusai.config import LOCAL_TRACKING_URI, TRACKING_PATH, Setting
from hokusai.errors import (
    AuthenticationError,
    ConfigurationError,
    HokusaiError,
    ModelNotFoundError,
    PermissionDeniedError,
    RegistryNotFoundError,
    RegistryUnavailableError,
    ValidationError,
)
from hokusai.gateway.hints import UNKNOWN_ROUTE

LOCAL_HINT = f"e.g. {LOCAL_TRACKING_URI} as printed by `hokusai local up`"
SET_KEY_HINT = (
    "Set a valid key with `export HOKUSAI_API_KEY=<key>` or `hokusai login --api-key <key>` "
    "(or pass api_key=...)."
)
_REFUSED = re.compile(r"Connection refused|Errno 111|ConnectionRefused")
_DNS = re.compile(r"Failed to resolve|Name or service not known|nodename nor servname|getaddrinfo")
_TIMEOUT = re.compile(r"ReadTimeout|ConnectTimeout|timed out")
_TOO_MANY = re.compile(r"too many (\d{3}) error responses")
_UNREACHABLE = re.compile(
    r"NewConnectionError|Max retries exceeded|RemoteDisconnected|ConnectionError|"
    r"Connection aborted|Connection reset"
)
_SCOPE = re.compile(r"lacks the '(\w+)' scope")
_CREDENTIALS = re.compile(
    r"Malformed API key|Conflicting credentials|Unsupported Authorization scheme|"
    r"credential was sent|api_key query parameter"
)
_ERROR_PREFIX = re.compile(r"^[A-Z_]+: ")
_ROUTE_UNKNOWN = UNKNOWN_ROUTE.split("{", 1)[0]  # the gateway: right URI, unknown route


def suggested_uri(uri: str) -> str:
    """The canonical tracking URI on the same host.

    Examples:
        >>> suggested_uri("http://127.0.0.1:5000/api/mlflow-typo")
        'http://127.0.0.1:5000/api/mlflow'
    """
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}{TRACKING_PATH}"


def _details(exc: Exception) -> tuple[int | None, str, str]:
    """(HTTP status, MLflow error code, message) from an MLflow or requests exception."""
    code = str(getattr(exc, "error_code", "") or "")
    message = str(getattr(exc, "message", "") or exc)
    status = None
    response = getattr(exc, "response", None)
    if response is not None and getattr(response, "status_code", None):
        status = response.status_code
        with contextlib.suppress(ValueError, AttributeError, TypeError):
            body = json.loads(response.text)
            code = body.get("error_code", code) or code
            message = body.get("message", message) or message
    getter = getattr(exc, "get_http_status_code", None)
    if status is None and getter is not None:
        status = getter()
    if code == "INTERNAL_ERROR" and status == 500 and "Response:" not in message:
        status = None  # MLflow's placeholder status for client-side failures
    match = re.search(r"failed with error code (\d{3}) != 200", message)
    if match:
        status = int(match.group(1))
    return status, code, _ERROR_PREFIX.sub("", message).strip()


def _source(setting: Setting | str) -> tuple[str, str]:
    if isinstance(setting, Setting):
        return setting.value, setting.source
    return setting, "argument"


def translate(
    exc: Exception,
    tracking_uri: Setting | str,
    api_key: Setting | bool | None = True,
    attempts: int | None = None,
) -> HokusaiError:
    """The Hokusai error for an exception raised by MLflow or requests.

    ``api_key`` is the key setting that was used (``None``: no key configured;
    ``True``: unknown), so a 401 can say where the key came from. ``attempts`` is how
    many requests were made (default: what the retry policy of the environment makes).

    Examples:
        >>> from mlflow.exceptions import RestException
        >>> exc = RestException({"error_code": "INTERNAL_ERROR", "message": "Response: {'detail': 'Not Found'}"})
        >>> error = translate(exc, "http://127.0.0.1:5000/mlflow-typo")
        >>> type(error).__name__
        'RegistryNotFoundError'
        >>> "INTERNAL_ERROR" in str(error)
        False
    """
    uri, uri_source = _source(tracking_uri)
    status, code, message = _details(exc)
    text = str(exc)
    if code == "UNAUTHENTICATED" or status == 401 or _CREDENTIALS.search(message):
        if api_key is None:
            return AuthenticationError(
                f"Authentication failed at {uri}: no API key is configured. {SET_KEY_HINT}"
            )
        origin = f" The key came from {api_key.source}." if isinstance(api_key, Setting) else ""
        return AuthenticationError(
            f"Authentication failed at {uri}: {message}{origin} {SET_KEY_HINT}"
        )
    if "Invalid Host header" in text:
        return ConfigurationError(
            f"MLflow behind {uri} rejected the Host header (HTTP 403). The MLflow server "
            "needs --allowed-hosts listing the host name clients use."
        )
    if code == "PERMISSION_DENIED" or status == 403:
        scope_match = _SCOPE.search(message)
        scope = scope_match.group(1) if scope_match else None
        need = f"a key with the '{scope}' scope" if scope else "a key with the needed scope"
        return PermissionDeniedError(
            f"Permission denied at {uri}: {message} Ask the registry's administrator for "
            f"{need} (local registry: `hokusai keys create --name <name> --scope "
            f"{scope or 'write'}`) and set it as HOKUSAI_API_KEY.",
            scope=scope,
        )
    if code == "RESOURCE_DOES_NOT_EXIST":
        hint = (
            " See the versions that exist with `hokusai model show <name>` or "
            "ModelRegistry().get_model_lineage(<name>); omit version= for the latest."
            if message.startswith("Model Version")
            else ""
        )
        return ModelNotFoundError(f"{message.rstrip('.')} at {uri}.{hint}")
    if code == "ENDPOINT_NOT_FOUND" and message.startswith(_ROUTE_UNKNOWN):
        # The URI is right; the call is one the registry's MLflow version does not serve.
        return HokusaiError(f"The registry at {uri} does not serve this call: {message}")
    if code == "ENDPOINT_NOT_FOUND" or status == 404 or "'Not Found'" in text:
        return RegistryNotFoundError(not_found_message(uri, uri_source))
    if code in ("INVALID_PARAMETER_VALUE", "BAD_REQUEST") or status == 400:
        return ValidationError(f"The registry at {uri} rejected the request: {message}")
    if attempts is None:
        attempts = RetryPolicy.from_environment().attempts
    return _unavailable(text, status, code, message, uri, uri_source, attempts)


def not_found_message(uri: str, uri_source: str) -> str:
    """The text of a 404: the URI used, where it came from, and the right one.

    Examples:
        >>> print(not_found_message("http://h:5000/mlflow-typo", "argument"))  # doctest: +ELLIPSIS
        http://h:5000/mlflow-typo is not the MLflow API of a Hokusai registry (HTTP 404; ...
    """
    right = suggested_uri(uri)
    if urlsplit(uri).path.rstrip("/") == TRACKING_PATH:
        fix = f"Check the host and port: {LOCAL_HINT}, or https://registry.hokus.ai/api/mlflow."
    else:
        fix = f"Use the registry's tracking URI, {right}."
    return (
        f"{uri} is not the MLflow API of a Hokusai registry (HTTP 404; the URI came from "
        f"{uri_source}). {fix} Set it with `export MLFLOW_TRACKING_URI={right}` or "
        "`hokusai login --tracking-uri ...`."
    )


def _unavailable(
    text: str,
    status: int | None,
    code: str,
    message: str,
    uri: str,
    uri_source: str,
    attempts: int,
) -> HokusaiError:
    where = f"the registry at {uri} (URI from {uri_source})"
    tries = f"{attempts} attempt{'' if attempts == 1 else 's'}"
    local = (
        "If it is your local registry, start it with `hokusai local up`; otherwise check "
        "the URL (MLFLOW_TRACKING_URI / HOKUSAI_API_ENDPOINT)."
    )
    too_many = _TOO_MANY.search(text)
    if _REFUSED.search(text):
        return RegistryUnavailableError(f"Cannot connect to {where}: connection refused. {local}")
    if _DNS.search(text):
        return RegistryUnavailableError(
            f"Cannot resolve the host name of {where}. Check the URL for typos "
            "(MLFLOW_TRACKING_URI / HOKUSAI_API_ENDPOINT) and your network."
        )
    if too_many or code in ("TEMPORARILY_UNAVAILABLE", "DEADLINE_EXCEEDED") or (status or 0) >= 502:
        answered = too_many.group(1) if too_many else status or 503
        return RegistryUnavailableError(
            f"{where[0].upper()}{where[1:]} is temporarily unavailable (HTTP {answered}, still "
            f"failing after {tries}). Retry in a minute; if it persists, the "
            "registry's MLflow server is down: run `hokusai doctor` and contact its operator."
        )
    if _TIMEOUT.search(text):
        return RegistryUnavailableError(
            f"{where[0].upper()}{where[1:]} did not answer in time (after {tries}). "
            "Retry later, or raise MLFLOW_HTTP_REQUEST_TIMEOUT for slow uploads."
        )
    if _UNREACHABLE.search(text):
        return RegistryUnavailableError(f"Cannot reach {where}. {local}")
    shown = f"HTTP {status}: " if status else ""
    return HokusaiError(
        f"The registry at {uri} failed unexpectedly ({shown}{message}). Retry; if it "
        "persists, run `hokusai doctor` and report this message to the registry's operator."
    )


@contextlib.contextmanager
def translated_errors(
    tracking_uri: Setting | str, api_key: Setting | bool | None = True, attempts: int | None = None
) -> Iterator[None]:
    """Re-raise MLflow / requests failures inside the block as Hokusai errors.

    Examples:
        >>> from hokusai._translate import translated_errors
        >>> with translated_errors("http://127.0.0.1:5000/api/mlflow"):
        ...     pass
    """
    import requests
    from mlflow.exceptions import MlflowException

    try:
        yield
    except HokusaiError:
        raise
    except (MlflowException, requests.RequestException) as exc:
        raise translate(exc, tracking_uri, api_key, attempts) from exc
