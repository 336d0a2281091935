"""The answers the gateway makes itself: MLflow-shaped JSON errors, and refusals.

The MLflow client shows ``{"error_code": ..., "message": ...}`` bodies verbatim
(``UNAUTHENTICATED: API key required: …``); any other body becomes the opaque
``INTERNAL_ERROR: Response: …``. Only codes MLflow knows are used.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from hokusai.gateway.types import Send

STATUS_FOR_CODE = {
    "INVALID_PARAMETER_VALUE": 400,
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "ENDPOINT_NOT_FOUND": 404,
    "RESOURCE_DOES_NOT_EXIST": 404,
    "REQUEST_LIMIT_EXCEEDED": 429,
    "INTERNAL_ERROR": 500,
    "TEMPORARILY_UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
}


async def send_json(
    send: Send, status: int, body: dict, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    """Send ``body`` as a complete JSON response."""
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


async def send_error(
    send: Send,
    error_code: str,
    message: str,
    status: int | None = None,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """Answer with an MLflow-shaped error; the status follows the code unless given."""
    extra = list(headers or [])
    if error_code == "UNAUTHENTICATED":
        extra.append((b"www-authenticate", b'ApiKey realm="hokusai"'))
    await send_json(
        send,
        status or STATUS_FOR_CODE[error_code],
        {"error_code": error_code, "message": message},
        extra,
    )


@dataclass(frozen=True, slots=True)
class FailureLabel:
    """What a refusal adds to the failure metrics: a credential failure (``kind``
    ``"auth"``, ``label`` ``missing``, ``unknown``, ``scope``…) or an upstream one
    (``"upstream"``: ``unreachable``, ``timeout``, ``disconnected``)."""

    kind: Literal["auth", "upstream"]
    label: str


@dataclass(frozen=True, slots=True)
class Refusal:
    """A request answered with an MLflow-shaped error instead of MLflow's answer.

    ``route`` is the MLflow route template when one matched (for metrics; ``None``: as
    far as the request got); ``failure`` says which failure it was when the key or
    MLflow was the problem, rather than the request itself.
    """

    error_code: str
    message: str
    status: int
    route: str | None = None
    failure: FailureLabel | None = None
    headers: tuple[tuple[bytes, bytes], ...] = ()

    @property
    def reason(self) -> str | None:
        """The credential-failure label when the key was the problem, else ``None``."""
        failure = self.failure
        return failure.label if failure is not None and failure.kind == "auth" else None

    async def send(self, send: Send) -> None:
        """Answer with this refusal."""
        await send_error(send, self.error_code, self.message, self.status, list(self.headers))


def refusal(
    error_code: str,
    message: str,
    *,
    status: int | None = None,
    reason: str | None = None,
    upstream: str | None = None,
    **fields: Any,
) -> Refusal:
    """A `Refusal` whose status follows its code unless ``status=`` is given;
    ``reason=`` (a credential failure's label) or ``upstream=`` (an upstream failure's
    kind) becomes its `FailureLabel`; a refusal is one failure, never both.

    Examples:
        >>> refusal("UNAUTHENTICATED", "API key required", reason="missing").status
        401
        >>> refusal("DEADLINE_EXCEEDED", "MLflow took too long", upstream="timeout").failure
        FailureLabel(kind='upstream', label='timeout')
        >>> refusal("UNAUTHENTICATED", "API key required", reason="missing", upstream="timeout")
        Traceback (most recent call last):
        ...
        TypeError: refusal(): reason='missing' or upstream='timeout', not both
    """
    if reason is not None and upstream is not None:
        raise TypeError(f"refusal(): reason={reason!r} or upstream={upstream!r}, not both")
    failure = None
    if reason is not None:
        failure = FailureLabel("auth", reason)
    elif upstream is not None:
        failure = FailureLabel("upstream", upstream)
    code_status = STATUS_FOR_CODE[error_code] if status is None else status
    return Refusal(error_code, message, code_status, failure=failure, **fields)


class Refused(Exception):
    """Raised by the app the rules core wraps, before it answered: the core answers
    with `refusal` (counted and logged like its own refusals)."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


class BrokenOff(Exception):
    """Raised by the wrapped app when its answer broke off after it started: the core
    counts it as an upstream error of ``kind`` and re-raises, so the server aborts the
    connection (the client sees a truncated answer, never a wrong one)."""

    kind = "aborted"
