"""The access log's two routes to the same line: straight to the serve handler, or
through ``logging`` when anything else (a test's caplog, another handler) listens."""

from __future__ import annotations

import io
import json
import logging

import pytest

from hokusai.gateway import access_log
from hokusai.gateway.access_log import ACCESS_LOGGER, AccessLogHandler, JsonFormatter

FIELDS = {
    "request_id": "r1",
    "key_id": None,
    "method": "GET",
    "path": '/api/mlflow/x"\\é',
    "query": "a=1",
    "route": "/api/2.0/mlflow/x",
    "status": 200,
    "duration_ms": 1.25,
    "client": "127.0.0.1",
}


@pytest.fixture
def served():
    """The access logger as `hokusai gateway serve` configures it, writing to a buffer."""
    logger = logging.getLogger(ACCESS_LOGGER)
    saved = (logger.handlers[:], logger.propagate, logger.level)
    stream = io.StringIO()
    logger.propagate = False
    logger.handlers[:] = [AccessLogHandler(stream)]
    logger.setLevel(logging.INFO)
    yield stream
    logger.handlers[:], logger.propagate, _ = saved
    logger.setLevel(saved[2])


OTHER = {**FIELDS, "key_id": "key_1", "client": None, "status": 499, "duration_ms": 0.0}


@pytest.mark.parametrize("fields", [FIELDS, OTHER])
def test_the_direct_line_is_the_formatted_record(served, fields):
    logger = logging.getLogger(ACCESS_LOGGER)
    logger.handlers[:] = logger.handlers[:1]  # pytest's capture handlers, attached meanwhile
    assert access_log._direct() is not None
    access_log.log_request(**fields)
    direct = served.getvalue()
    record = access_log._record({"event": "request", **fields})
    formatted = JsonFormatter().format(record)
    assert direct.endswith("\n") and direct.count("\n") == 1
    assert direct[:10] == formatted[:10]  # "ts" (the milliseconds may differ)
    assert direct[35:] == formatted[35:] + "\n"  # then byte for byte
    assert list(json.loads(direct)) == ["ts", "level", "logger", "event", *fields]


def test_anything_else_listening_gets_the_record(served, caplog):
    logging.getLogger(ACCESS_LOGGER).addHandler(caplog.handler)
    try:
        assert access_log._direct() is None
        access_log.log_request(**FIELDS)
    finally:
        logging.getLogger(ACCESS_LOGGER).removeHandler(caplog.handler)
    assert [r.fields["request_id"] for r in caplog.records] == ["r1"]
    assert json.loads(served.getvalue())["request_id"] == "r1"


def test_timestamps_are_utc_with_milliseconds():
    assert access_log._timestamp(0.0, 0.0) == "1970-01-01T00:00:00.000Z"
    assert access_log._timestamp(86400.5, 500.0) == "1970-01-02T00:00:00.500Z"
    assert access_log._timestamp(86401.0, 7.0) == "1970-01-02T00:00:01.007Z"
