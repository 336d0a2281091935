"""MLflow-shaped JSON error responses.

The MLflow client shows ``{"error_code": ..., "message": ...}`` bodies verbatim
(``UNAUTHENTICATED: API key required: …``); any other body becomes the opaque
``INTERNAL_ERROR: Response: …``. Only codes MLflow knows are used.
"""

from __future__ import annotations

import json

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
