"""JSON access logs: one line per request, with its request id and key id, never a key.

The line is built from what the gateway already knows (the ``api_key`` query parameter
is removed from the logged query, credentials headers are never logged), e.g.::

    {"ts": "2026-11-24T03:40:00.123Z", "level": "info", "event": "request",
     "request_id": "5f0c…", "key_id": "key_1a2b…", "method": "POST",
     "path": "/api/mlflow/api/2.0/mlflow/runs/create", "query": "",
     "route": "/api/2.0/mlflow/runs/create", "status": 200, "duration_ms": 12.4,
     "client": "10.0.0.7"}
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

ACCESS_LOGGER = "hokusai.gateway.access"
logger = logging.getLogger(ACCESS_LOGGER)


class JsonFormatter(logging.Formatter):
    """Formats records as one JSON object per line (``fields`` merged in, if any)."""

    def format(self, record: logging.LogRecord) -> str:
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        line: dict[str, Any] = {
            "ts": f"{ts}.{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        fields = getattr(record, "fields", None)
        if fields:
            line.update(fields)
        else:
            line["message"] = record.getMessage()
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def log_config(level: str = "info") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for ``hokusai gateway serve``: JSON everywhere.

    uvicorn's own access log is switched off (it prints the query string, keys
    included); the gateway writes its own.
    """
    level = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stdout",
            }
        },
        "loggers": {
            "hokusai": {"handlers": ["stdout"], "level": level, "propagate": False},
            "uvicorn": {"handlers": ["stdout"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }


def enabled() -> bool:
    """Cheap check, so requests build no log line when nobody reads it."""
    return logger.isEnabledFor(logging.INFO)


def log_request(**fields: Any) -> None:
    """Write one access-log line (the caller passes no secret; see module doc)."""
    logger.info("request", extra={"fields": {"event": "request", **fields}})
