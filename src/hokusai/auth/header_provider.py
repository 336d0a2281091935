"""MLflow request-header plugin: adds ``X-API-Key`` to every plain ``mlflow`` request.

Installed as the ``mlflow.request_header_provider`` entry point ``hokusai``; MLflow
loads it by itself, so ``HOKUSAI_API_KEY`` plus ``mlflow.set_tracking_uri(...)`` is
all a user needs. ``MLFLOW_TRACKING_TOKEN`` keeps working alongside (as ``Bearer``).
Every request, with a key or not, also gets ``hokusai-ml-platform/<version>`` in its
``User-Agent`` (MLflow joins it to its own), so the gateway's refusals can point to
``HOKUSAI_API_KEY`` for this client and to ``MLFLOW_TRACKING_TOKEN`` for plain ``mlflow``.

MLflow asks the plugin before each request, so it is also where a plain ``mlflow``
script gets the SDK's bounded, announced retries for requests that carry a Hokusai key
(`hokusai._retries`): without them a registry that is down costs minutes of
silent retries.
"""

from __future__ import annotations

from mlflow.tracking.request_header.abstract_request_header_provider import (
    RequestHeaderProvider,
)

from hokusai import __version__
from hokusai._retries import install as install_retry_policy
from hokusai.auth import API_KEY_HEADER, CLIENT_PRODUCT, current_api_key

USER_AGENT = f"{CLIENT_PRODUCT}/{__version__}"


class HokusaiHeaderProvider(RequestHeaderProvider):
    """Sends the resolved Hokusai API key on each request (checked per request).

    Examples:
        >>> from hokusai.auth import using_api_key
        >>> with using_api_key("hk_test_example"):
        ...     HokusaiHeaderProvider().request_headers()["X-API-Key"]
        'hk_test_example'
        >>> HokusaiHeaderProvider().request_headers()["User-Agent"] == USER_AGENT
        True
    """

    def in_context(self) -> bool:
        """Always: every request gets the ``User-Agent`` marker; with a key configured,
        the SDK's retry policy is installed too."""
        try:
            if current_api_key() is not None:
                install_retry_policy()
        except Exception:  # a broken config file must not break unrelated mlflow calls
            pass
        return True

    def request_headers(self) -> dict[str, str]:
        """``{"User-Agent": "hokusai-ml-platform/<version>", "X-API-Key": <key>}``, the
        key only when one is configured."""
        headers = {"User-Agent": USER_AGENT}
        try:
            key = current_api_key()
        except Exception:  # as in in_context: the gateway will say the key is missing
            key = None
        if key:
            headers[API_KEY_HEADER] = key
        return headers
