"""Shared pieces of the reliability tests: MLflow's error codes, checks, log capture.

The gateway, the fake MLflow and the clients they use are in :mod:`tests.support`.
"""

from __future__ import annotations

import json
import logging

from tests.support.client import Reply

# Error codes the MLflow client knows (mlflow.protos.databricks_pb2.ErrorCode; importing
# it costs ~15 s on the shared box). A body with any other code is shown as INTERNAL_ERROR.
MLFLOW_ERROR_CODES = frozenset(
    {
        "INTERNAL_ERROR",
        "TEMPORARILY_UNAVAILABLE",
        "IO_ERROR",
        "BAD_REQUEST",
        "DEADLINE_EXCEEDED",
        "CANCELLED",
        "RESOURCE_EXHAUSTED",
        "ABORTED",
        "NOT_FOUND",
        "ALREADY_EXISTS",
        "UNAUTHENTICATED",
        "INVALID_PARAMETER_VALUE",
        "ENDPOINT_NOT_FOUND",
        "MALFORMED_REQUEST",
        "INVALID_STATE",
        "PERMISSION_DENIED",
        "FEATURE_DISABLED",
        "REQUEST_LIMIT_EXCEEDED",
        "RESOURCE_CONFLICT",
        "NOT_IMPLEMENTED",
        "RESOURCE_ALREADY_EXISTS",
        "RESOURCE_DOES_NOT_EXIST",
        "QUOTA_EXCEEDED",
        "RESOURCE_LIMIT_EXCEEDED",
    }
)


def assert_mlflow_error(reply: Reply, statuses: set[int] | None = None) -> dict:
    """The reply is MLflow-shaped JSON the MLflow client shows as is; returns it."""
    content_type = b"".join(v for k, v in reply.headers if k.lower() == b"content-type")
    assert content_type.startswith(b"application/json"), (reply.status, content_type, reply.body)
    payload = json.loads(reply.body)
    assert isinstance(payload, dict), payload
    assert payload.get("error_code") in MLFLOW_ERROR_CODES, payload
    assert isinstance(payload.get("message"), str) and payload["message"], payload
    if statuses is not None:
        assert reply.status in statuses, (reply.status, payload)
    return payload


class LogCapture(logging.Handler):
    """Every log record of the process, formatted as the gateway's JSON logs (with tracebacks)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        from hokusai.gateway.access_log import JsonFormatter

        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception:  # a record that cannot be formatted must not hide the others
            self.lines.append(repr(record.__dict__))

    def since(self, mark: int) -> str:
        return "\n".join(self.lines[mark:])


class captured_logs:
    """Attach a :class:`LogCapture` to the root logger, with ``hokusai`` at INFO (access log on)."""

    def __enter__(self) -> LogCapture:
        self.handler = LogCapture()
        self.hokusai = logging.getLogger("hokusai")
        self.level = self.hokusai.level
        self.hokusai.setLevel(logging.INFO)
        self.root = logging.getLogger()
        self.root.addHandler(self.handler)
        if not self.hokusai.propagate:  # `hokusai gateway serve`'s log config stops propagation
            self.hokusai.addHandler(self.handler)
        return self.handler

    def __exit__(self, *exc) -> None:
        self.root.removeHandler(self.handler)
        self.hokusai.removeHandler(self.handler)
        self.hokusai.setLevel(self.level)


def fragments(secret: str, size: int = 8) -> list[str]:
    """Every ``size``-character piece of the random part of a key (after ``hk_live_``)."""
    body = secret.split("_", 2)[-1] if secret.startswith("hk_") else secret
    return [body[i : i + size] for i in range(0, max(1, len(body) - size + 1))]
