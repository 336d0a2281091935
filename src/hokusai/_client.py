"""What every SDK object shares: where the registry is, its key, one MLflow client,
the retry policy, and errors that say what to do (base of ``ModelRegistry`` and
``ExperimentManager``)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from hokusai import _retries
from hokusai._legacy_reads import deprecated
from hokusai._translate import translate, translated_errors
from hokusai.auth import using_api_key
from hokusai.config import Setting, resolve_api_key, resolve_tracking_uri
from hokusai.errors import HokusaiError

# Variables of old guides that switched the old SDK into a silent mock: this one has none.
OLD_MOCK_VARIABLES = ("HOKUSAI_MOCK_MODE", "HOKUSAI_OPTIONAL_MLFLOW")


class RegistryClient:
    """A connection to the Hokusai registry's MLflow API.

    The tracking URI and the API key follow the precedence rule of `hokusai.config`
    (argument → environment → config file → default). The retry policy is read once,
    here, from ``MLFLOW_HTTP_REQUEST_*`` where the user set them, else the SDK's bounded
    defaults; it applies to this object's calls only (see `hokusai._retries`).

    Args:
        tracking_uri: the registry's MLflow URL.
        api_key: the API key.

    Examples:
        >>> connection = RegistryClient("http://127.0.0.1:5000/api/mlflow", api_key="hk_test_x")
        >>> connection.tracking_uri, type(connection.client).__name__
        ('http://127.0.0.1:5000/api/mlflow', 'MlflowClient')
    """

    def __init__(self, tracking_uri: str | None = None, api_key: str | None = None) -> None:
        from mlflow import MlflowClient

        self._tracking_uri: Setting = resolve_tracking_uri(tracking_uri)
        self._api_key: Setting | None = resolve_api_key(api_key)
        self._retry_policy = _retries.RetryPolicy.from_environment()
        for name in OLD_MOCK_VARIABLES:
            if os.environ.get(name):
                deprecated(
                    f"{name} is set, but this SDK has no mock or offline mode: it talks to "
                    f"{self.tracking_uri} and raises a HokusaiError saying why when that fails. "
                    f"Unset {name}."
                )
        _retries.install()
        self._client = MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)

    @property
    def tracking_uri(self) -> str:
        """The registry URL this object talks to (resolved by the precedence rule)."""
        return self._tracking_uri.value

    @property
    def retry_policy(self) -> _retries.RetryPolicy:
        """How this object's requests are retried (attempts, backoff, timeout)."""
        return self._retry_policy

    @property
    def client(self) -> Any:
        """The underlying ``mlflow.MlflowClient`` (same URI); use it inside `session`."""
        return self._client

    @contextlib.contextmanager
    def _connected(self) -> Iterator[None]:
        """MLflow calls inside the block send this object's key and follow its retry policy.

        Unlike `session`, exceptions pass through unchanged (the block is user code).
        """
        with using_api_key(self._api_key_value), _retries.using_policy(self._retry_policy):
            yield

    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        """Send this object's key, follow its retry policy, and turn MLflow failures into
        `HokusaiError` for the calls inside the block.

        Examples:
            >>> from hokusai import ExperimentManager
            >>> manager = ExperimentManager("lead-scoring")
            >>> with manager.start_run() as run:
            ...     pass
            >>> with manager.session():
            ...     manager.client.log_metric(run.info.run_id, "accuracy", 0.9)
            ...     print(manager.client.get_run(run.info.run_id).data.metrics)
            {'accuracy': 0.9}
        """
        with (
            self._connected(),
            translated_errors(self._tracking_uri, self._api_key, self._retry_policy.attempts),
        ):
            yield

    @contextlib.contextmanager
    def _sent_once(self) -> Iterator[None]:
        """Requests inside the block are sent exactly once (no retry), in this thread only."""
        once = self._retry_policy.once()
        with (
            _retries.using_policy(once),
            translated_errors(self._tracking_uri, self._api_key, once.attempts),
        ):
            yield

    def _translate(self, exc: Exception) -> HokusaiError:
        """The Hokusai error for an MLflow or ``requests`` exception from this object's call."""
        if isinstance(exc, HokusaiError):
            return exc
        return translate(exc, self._tracking_uri, self._api_key, self._retry_policy.attempts)

    @property
    def _api_key_value(self) -> str | None:
        return self._api_key.value if self._api_key else None
