"""The ``requests`` session behind the SDK's retry policy: urllib3 retries, announced.

Imported when the first request a policy applies to is sent (`hokusai._retries`),
so ``import hokusai`` does not import urllib3.
"""

from __future__ import annotations

import functools
import logging
from types import TracebackType
from typing import Any, Self

from urllib3 import BaseHTTPResponse
from urllib3.connectionpool import ConnectionPool
from urllib3.util import Retry

logger = logging.getLogger("hokusai")


class AnnouncingRetry(Retry):
    """urllib3's ``Retry`` that logs a ``hokusai`` warning before each retry.

    The warning reads ``Registry request failed (HTTP 503) for <path>; retrying
    (attempt 2 of 3)…``. It is built from the arguments urllib3 passes to
    `increment`, not from any log message.

    Examples:
        >>> retry = AnnouncingRetry(total=2, status_forcelist=[503], allowed_methods=None)
        >>> retry.new().__class__.__name__
        'AnnouncingRetry'
    """

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Self:
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        last = retry.history[-1] if retry.history else None
        if last is not None and last.redirect_location is None:
            reason = f"HTTP {last.status}" if last.status else type(last.error).__name__
            remaining = retry.total if isinstance(retry.total, int) else 0
            logger.warning(
                "Registry request failed (%s) for %s; retrying (attempt %d of %d)…",
                reason,
                str(url or "").split("?")[0],
                len(retry.history) + 1,
                len(retry.history) + remaining + 1,
            )
        return retry


@functools.lru_cache(maxsize=32)
def retrying_session(
    max_retries: int,
    backoff_factor: float,
    backoff_jitter: float,
    retry_codes: tuple[int, ...],
    raise_on_status: bool,
    respect_retry_after_header: bool,
    pid: int,  # a new session in a forked child: sockets must not be shared across processes
) -> Any:
    """A session retrying like MLflow's own (all methods, POST included), announcing each
    retry; one per distinct setting and process, shared by threads like MLflow's."""
    import requests
    from mlflow.environment_variables import MLFLOW_HTTP_POOL_CONNECTIONS, MLFLOW_HTTP_POOL_MAXSIZE
    from requests.adapters import HTTPAdapter

    retry = AnnouncingRetry(
        total=max_retries,
        connect=max_retries,
        read=max_retries,
        redirect=max_retries,
        status=max_retries,
        status_forcelist=retry_codes,
        backoff_factor=backoff_factor,
        backoff_jitter=backoff_jitter,
        raise_on_status=raise_on_status,
        respect_retry_after_header=respect_retry_after_header,
        allowed_methods=None,
    )
    adapter = HTTPAdapter(
        pool_connections=MLFLOW_HTTP_POOL_CONNECTIONS.get(),
        pool_maxsize=MLFLOW_HTTP_POOL_MAXSIZE.get(),
        max_retries=retry,
    )
    session = requests.Session()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
