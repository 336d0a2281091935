"""MLflow request-header plugin: adds ``X-API-Key`` to every plain ``mlflow`` request.

Installed as the ``mlflow.request_header_provider`` entry point ``hokusai``; MLflow
loads it by itself, so ``HOKUSAI_API_KEY`` plus ``mlflow.set_tracking_uri(...)`` is
all a user needs. ``MLFLOW_TRACKING_TOKEN`` keeps working alongside (as ``Bearer``).

MLflow asks the plugin before each request, so it is also where a plain ``mlflow``
script gets the SDK's bounded, announced retries for requests that carry a Hokusai key
(`hokusai._retries`): without them a registry that is down costs minutes of
silent retries.
"""

from __future__ import annotations

from mlflow.tracking.request_header.abstract_request_header_provider import (
    RequestHeaderProvider,
)

from hokusai._retries import install as install_retry_policy
from hokusai.auth import API_KEY_HEADER, current_api_key


class HokusaiHeaderProvider(RequestHeaderProvider):
    """Sends the resolved Hokusai API key on each request (checked per request).

    Examples:
        >>> from hokusai.auth import using_api_key
        >>> with using_api_key("hk_test_example"):
        ...     HokusaiHeaderProvider().request_headers()
        {'X-API-Key': 'hk_test_example'}
    """

    def in_context(self) -> bool:
        """True when a key is configured (MLflow then asks for the headers)."""
        try:
            configured = current_api_key() is not None
            if configured:
                install_retry_policy()
            return configured
        except Exception:  # a broken config file must not break unrelated mlflow calls
            return False

    def request_headers(self) -> dict[str, str]:
        """``{"X-API-Key": <key>}``, or ``{}`` without a key."""
        key = current_api_key()
        return {API_KEY_HEADER: key} if key else {}
