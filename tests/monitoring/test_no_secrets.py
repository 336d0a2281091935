"""No key in any metric label or header-debug line, wherever a client puts it.

The real gateway (proxy mode, under uvicorn) in front of the fake MLflow, with both
observability switches on (``debug_headers``, ``metrics_key_ids``), receives keys as
credentials in every style and in the places a careless client puts them: other
headers, a header's name, the request id, the path, other query parameters. Then every
label value of ``/metrics`` and every header-debug line is scanned for any 8-character
piece of any key (:func:`~tests.reliability._support.fragments`). The fuzz suite
(tests/reliability/test_fuzz_gateway.py) runs with the same switches on.
"""

from __future__ import annotations

import base64
import json

import pytest
from prometheus_client.parser import text_string_to_metric_families

from hokusai.gateway.header_debug import HEADER_DEBUG_LOGGER
from hokusai.gateway.metrics import KEY_REQUESTS
from tests.reliability._support import captured_logs, fragments
from tests.support.client import request
from tests.support.fake_mlflow import FakeMlflow
from tests.support.servers import ThreadedGateway

API = "/api/mlflow/api/2.0/mlflow"


@pytest.fixture(scope="module")
def gateway():
    with (
        FakeMlflow() as fake,
        ThreadedGateway(fake.url, debug_headers=True, metrics_key_ids=True) as gateway,
    ):
        yield gateway


def places(secret: str) -> list[tuple[str, dict[str, str], str]]:
    """(target, headers, what) for ``secret`` as a credential and where it does not belong."""
    basic = base64.b64encode(f"user:{secret}".encode()).decode()
    get = f"{API}/runs/get?run_id=1"
    return [
        (get, {"X-API-Key": secret}, "X-API-Key"),
        (get, {"Authorization": f"Bearer {secret}"}, "Bearer"),
        (get, {"Authorization": f"ApiKey {secret}"}, "ApiKey"),
        (get, {"Authorization": secret}, "no scheme"),
        (get, {"Authorization": f"Basic {basic}"}, "Basic"),
        (f"{get}&api_key={secret}", {}, "api_key"),
        (f"{get}&api%5Fkey={secret}", {}, "api_key encoded"),
        (get, {"X-API-Key": secret, "Authorization": f"Bearer {secret}x"}, "conflict"),
        (get, {"X-Custom": secret, "X-API-Key": secret}, "another header"),
        (get, {secret: "1", "X-API-Key": secret}, "a header name"),
        (get, {"X-Request-Id": secret, "X-API-Key": secret}, "the request id"),
        (f"{API}/runs/get/{secret}", {"X-API-Key": secret}, "the path"),
        (f"{API}/model-versions/create?token={secret}", {"X-API-Key": secret}, "a query"),
    ]


def test_no_key_in_metric_labels_or_header_debug_lines(gateway):
    valid = gateway.key("read", "write")[1]
    revoked_id, revoked = gateway.key("read")
    gateway.store.revoke(revoked_id)
    secrets = [valid, revoked, "hk_live_" + "Unknown0Key0Of0This0Gateway00000"]
    with captured_logs() as logs:
        statuses = {
            (what, request(gateway.url, "POST" if "create" in target else "GET", target,
                           headers, b"{}" if "create" in target else None).status)
            for secret in secrets
            for target, headers, what in places(secret)
        }  # fmt: skip
    assert ("X-API-Key", 200) in statuses and ("X-API-Key", 401) in statuses, statuses
    assert ("the path", 404) in statuses and ("a query", 200) in statuses, statuses

    debug = [line for line in logs.lines if HEADER_DEBUG_LOGGER in line]
    assert len(debug) == len(secrets) * len(places(valid)), "a request without its debug line"
    assert all(json.loads(line)["credential"] is not None for line in debug)
    text = request(gateway.url, "GET", "/metrics").body.decode()
    labels = [value for family in text_string_to_metric_families(text)
              for sample in family.samples for value in sample.labels.values()]  # fmt: skip
    assert KEY_REQUESTS.name in text, "the key-id counter is off: the check is void"
    for secret in secrets:
        for piece in fragments(secret):
            assert not any(piece in line for line in debug), (piece, debug)
            assert not any(piece in label for label in labels), (piece, labels)
