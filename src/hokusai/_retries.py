"""The retry policy of the SDK's MLflow requests: bounded, announced, per client, per thread.

MLflow's client retries HTTP 408, 429, 5xx and connection errors silently, by default
7 times with exponential backoff: a registry answering 503 makes one call hang for
about four minutes (247 s measured with MLflow 3.17; docs/contributing/mlflow-facts.md)
and the registry's message is never shown. Requests made for the SDK make at most 3
attempts, about a second apart (`BOUNDED_RETRIES`), wait at most 30 s for an
answer, and log a warning on the ``hokusai`` logger before each retry. A user's own
``MLFLOW_HTTP_REQUEST_*`` variables win. ``os.environ`` is only read, never written.

How it is wired (MLflow 3.x): every tracking, model-registry and artifact request of
MLflow's Python client goes through ``mlflow.utils.rest_utils.http_request``, which
hands the finished request to the module-level function
``mlflow.utils.rest_utils._get_http_response_with_retries(method, url, max_retries,
backoff_factor, backoff_jitter, retry_codes, raise_on_status, **requests_kwargs)``.
`install` wraps that one function. For a request no policy applies to, the
wrapper calls MLflow's own function unchanged. A policy applies to:

- the calls an SDK object makes inside its ``session()``: the object's policy is held in
  a context variable (`using_policy`), so other threads and asyncio tasks keep
  theirs; ``using_policy(policy.once())`` sends a request exactly once;
- plain ``mlflow`` requests that carry a Hokusai API key (the ``X-API-Key`` header the
  Hokusai MLflow plugin adds): the default policy, so a script that starts with plain
  ``mlflow`` calls also learns quickly that the registry is down.

Such a request goes through a ``requests`` session whose urllib3 ``Retry`` announces
each retry (`hokusai._retry_session`). The wrapped function is private to MLflow:
``tests/unit/test_sdk_retries.py`` fails, naming it, when MLflow moves or renames it.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import os
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from hokusai.auth import API_KEY_HEADER
from hokusai.errors import ConfigurationError

logger = logging.getLogger("hokusai")

MAX_RETRIES = "MLFLOW_HTTP_REQUEST_MAX_RETRIES"
BACKOFF_FACTOR = "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR"
TIMEOUT = "MLFLOW_HTTP_REQUEST_TIMEOUT"
# MLflow's own variables, with the values the SDK uses where the user has not set them.
BOUNDED_RETRIES = {MAX_RETRIES: "2", BACKOFF_FACTOR: "1", TIMEOUT: "30"}
# The function of MLflow's that sends a prepared request (see the module docstring).
MLFLOW_MODULE = "mlflow.utils.rest_utils"
MLFLOW_SEND = "_get_http_response_with_retries"


@dataclass(frozen=True)
class RetryPolicy:
    """How many times a request is retried, how long apart, and how long an attempt waits.

    Examples:
        >>> policy = RetryPolicy.from_environment({})
        >>> policy, policy.attempts
        (RetryPolicy(max_retries=2, backoff_factor=1.0, timeout=30.0, forced=False), 3)
        >>> RetryPolicy.from_environment({"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "5"}).max_retries
        5
        >>> policy.once().attempts
        1
    """

    max_retries: int
    backoff_factor: float
    timeout: float
    forced: bool = False
    """Also override a retry count the caller chose explicitly (see `once`)."""

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> RetryPolicy:
        """The user's ``MLFLOW_HTTP_REQUEST_*`` values where set, else `BOUNDED_RETRIES`."""
        environ = os.environ if environ is None else environ

        def value(name: str, kind: Callable[[str], Any]) -> Any:
            text = environ.get(name) or BOUNDED_RETRIES[name]
            try:
                return kind(text)
            except ValueError:
                raise ConfigurationError(
                    f"{name}={text!r} is not a number: unset it or set a number, e.g. "
                    f"{name}={BOUNDED_RETRIES[name]}."
                ) from None

        return cls(value(MAX_RETRIES, int), value(BACKOFF_FACTOR, float), value(TIMEOUT, float))

    @property
    def attempts(self) -> int:
        """Requests made before giving up: the first one plus the retries."""
        return self.max_retries + 1

    def once(self) -> RetryPolicy:
        """This policy with no retry at all, whatever the environment says.

        For a request that must not be sent twice: MLflow's client retries a POST whose
        answer was lost, and ``model-versions/create`` then registers the version twice.
        """
        return replace(self, max_retries=0, forced=True)


_active: contextvars.ContextVar[RetryPolicy | None] = contextvars.ContextVar(
    "hokusai_retry_policy", default=None
)


@contextlib.contextmanager
def using_policy(policy: RetryPolicy) -> Iterator[None]:
    """Apply ``policy`` to the MLflow requests made inside the block, in this context only.

    Examples:
        >>> with using_policy(RetryPolicy(1, 0.0, 5.0)):
        ...     policy_for(headers=None).max_retries
        1
        >>> policy_for(headers=None) is None
        True
    """
    install()
    token = _active.set(policy)
    try:
        yield
    finally:
        _active.reset(token)


def policy_for(headers: Mapping[str, str] | None) -> RetryPolicy | None:
    """The policy for a request with these headers: the active one, else the default one
    for a request carrying a Hokusai API key, else ``None`` (MLflow's own behaviour).

    Examples:
        >>> policy_for({"X-API-Key": "hk_test_x"}).attempts >= 1
        True
        >>> policy_for({"User-Agent": "mlflow-python-client"}) is None
        True
    """
    policy = _active.get()
    if policy is not None:
        return policy
    if headers and any(name.lower() == API_KEY_HEADER.lower() for name in headers):
        return RetryPolicy.from_environment()
    return None


def _wrap(mlflow_send: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(mlflow_send)
    def send(
        method: str,
        url: str,
        max_retries: int,
        backoff_factor: float,
        backoff_jitter: float,
        retry_codes: Any,
        raise_on_status: bool = True,
        allow_redirects: bool | None = None,
        respect_retry_after_header: bool = True,
        **kwargs: Any,
    ) -> Any:
        policy = policy_for(kwargs.get("headers"))
        if policy is None:
            return mlflow_send(
                method,
                url,
                max_retries,
                backoff_factor,
                backoff_jitter,
                retry_codes,
                raise_on_status=raise_on_status,
                allow_redirects=allow_redirects,
                respect_retry_after_header=respect_retry_after_header,
                **kwargs,
            )
        from mlflow.environment_variables import (
            MLFLOW_ALLOW_HTTP_REDIRECTS,
            MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR,
            MLFLOW_HTTP_REQUEST_MAX_RETRIES,
            MLFLOW_HTTP_REQUEST_TIMEOUT,
        )

        # MLflow passes the environment's values (or its defaults) unless a caller chose
        # its own, like the 3 s, no-retry probe of the server version: keep those.
        if policy.forced or max_retries == MLFLOW_HTTP_REQUEST_MAX_RETRIES.get():
            max_retries = policy.max_retries
        if backoff_factor == MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR.get():
            backoff_factor = policy.backoff_factor
        if kwargs.get("timeout") == MLFLOW_HTTP_REQUEST_TIMEOUT.get():
            kwargs["timeout"] = policy.timeout
        from hokusai._retry_session import retrying_session

        session = retrying_session(
            max_retries,
            backoff_factor,
            backoff_jitter,
            tuple(sorted(retry_codes)),
            raise_on_status,
            respect_retry_after_header,
            os.getpid(),
        )
        if allow_redirects is None:
            allow_redirects = MLFLOW_ALLOW_HTTP_REDIRECTS.get()
        return session.request(method, url, allow_redirects=allow_redirects, **kwargs)

    send.hokusai_wrapped = mlflow_send  # type: ignore[attr-defined]
    return send


_install_lock = threading.Lock()


def install() -> bool:
    """Wrap MLflow's request function once per process (idempotent, thread-safe).

    Returns False, with a warning, when this MLflow has no such function: the SDK then
    works with MLflow's own (slow, silent) retries.

    Examples:
        >>> install()
        True
        >>> import mlflow.utils.rest_utils as rest_utils
        >>> rest_utils._get_http_response_with_retries.hokusai_wrapped.__name__
        '_get_http_response_with_retries'
    """
    import importlib

    module = importlib.import_module(MLFLOW_MODULE)
    if hasattr(getattr(module, MLFLOW_SEND, None), "hokusai_wrapped"):
        return True
    with _install_lock:
        current = getattr(module, MLFLOW_SEND, None)
        if current is None:
            _warn_once(
                f"This MLflow has no {MLFLOW_MODULE}.{MLFLOW_SEND}, which the Hokusai SDK "
                "wraps to bound and announce MLflow's retries: calls to a registry that is "
                "down may hang for minutes. Install the MLflow version in "
                "hokusai-ml-platform's uv.lock, or set MLFLOW_HTTP_REQUEST_MAX_RETRIES=2."
            )
            return False
        if not hasattr(current, "hokusai_wrapped"):
            setattr(module, MLFLOW_SEND, _wrap(current))
        return True


@functools.cache
def _warn_once(message: str) -> None:
    warnings.warn(message, RuntimeWarning, stacklevel=3)
