"""Proxy mechanics: the real gateway app under uvicorn, in front of a fake MLflow.

What the fake MLflow receives is exactly what the gateway forwarded, so these tests
check forwarding byte for byte: raw path and query, headers in and out, bodies
streamed in constant memory, and the MLflow-shaped answers when MLflow fails.
"""

from __future__ import annotations

import json
import logging
import socket
import time

import pytest

from hokusai.gateway.access_log import ACCESS_LOGGER, JsonFormatter
from tests.support.client import request
from tests.support.processes import PeakRss
from tests.support.servers import ThreadedGateway

RUNS_GET = "/api/2.0/mlflow/runs/get"
ARTIFACT = "/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts"
MiB = 1 << 20


pytestmark = pytest.mark.fake_stack(mlflow={"delay": 3.0}, read_timeout=1.0)


@pytest.fixture(scope="module")
def key(gateway) -> tuple[str, str]:
    return gateway.key("read", "write")


def last_seen(fake):
    return fake.seen[-1]


def test_raw_path_and_query_are_forwarded_exactly_without_the_key(gateway, fake, key):
    target = f"{ARTIFACT}/my%20file%2Bv1%C3%A9.txt?x=a%2Fb+c&api_key={key[1]}&y=%20"
    answer = request(gateway.url, "GET", "/api/mlflow" + target)
    assert answer.status == 200, answer.body
    seen = last_seen(fake)
    assert seen.target == f"{ARTIFACT}/my%20file%2Bv1%C3%A9.txt?x=a%2Fb+c&y=%20"
    assert key[1] not in json.dumps(seen.headers)


@pytest.mark.parametrize("mount", ["/api/mlflow", "/mlflow", ""])
@pytest.mark.parametrize("style", ["bearer", "apikey", "x-api-key", "query"])
def test_every_style_at_every_mount_reaches_mlflow_as_the_key_id(gateway, fake, key, mount, style):
    key_id, secret = key
    headers = {
        "bearer": {"Authorization": f"Bearer {secret}"},
        "apikey": {"Authorization": f"ApiKey {secret}"},
        "x-api-key": {"X-API-Key": secret},
        "query": {},
    }[style]
    query = f"?run_id=1&api_key={secret}" if style == "query" else "?run_id=1"
    answer = request(gateway.url, "GET", mount + RUNS_GET + query, headers)
    assert answer.status == 200
    seen = last_seen(fake)
    assert seen.target == RUNS_GET + "?run_id=1"
    assert seen.header("X-Hokusai-Key-Id") == [key_id]
    assert not seen.header("Authorization") and not seen.header("X-API-Key")
    assert secret not in json.dumps(seen.headers)


def test_forged_identity_and_hop_by_hop_headers_are_dropped(gateway, fake, key):
    answer = request(
        gateway.url,
        "GET",
        "/api/mlflow" + RUNS_GET,
        [
            ("X-API-Key", key[1]),
            ("X-Hokusai-Key-Id", "key_admin"),
            ("Connection", "keep-alive, X-Private"),
            ("X-Private", "hop"),
            ("Keep-Alive", "timeout=5"),
            ("Proxy-Authorization", "Basic x"),
            ("TE", "trailers"),
            ("X-Custom", "kept"),
            ("X-Request-Id", "client-req-42"),
        ],
    )
    assert answer.status == 200
    seen = last_seen(fake)
    assert seen.header("X-Hokusai-Key-Id") == [key[0]]
    for name in ("X-Private", "Keep-Alive", "Proxy-Authorization", "TE", "Connection"):
        assert not seen.header(name), name
    assert seen.header("X-Custom") == ["kept"]
    assert seen.header("X-Request-Id") == ["client-req-42"]
    assert answer.header("X-Request-Id") == ["client-req-42"]
    # The fake answers "Connection: keep-alive, X-Secret-Hop" + "X-Secret-Hop": not relayed.
    assert not answer.header("X-Secret-Hop")


def test_a_request_id_is_made_when_the_client_sends_none_or_a_bad_one(gateway, key):
    made = request(gateway.url, "GET", RUNS_GET, {"X-API-Key": key[1]}).header("X-Request-Id")
    bad = request(gateway.url, "GET", RUNS_GET, {"X-API-Key": key[1], "X-Request-Id": 'a b"c'})
    assert len(made) == 1 and len(made[0]) == 32
    assert bad.header("X-Request-Id")[0] != 'a b"c'


def test_configured_header_lists(fake):
    with ThreadedGateway(fake.url, remove_headers=("x-debug",), identity_header="X-Owner") as gw:
        key_id, secret = gw.key()
        headers = {"X-API-Key": secret, "X-Debug": "1", "X-Other": "2", "X-Owner": "forged"}
        assert (
            request(gw.url, "POST", RUNS_GET.replace("get", "search"), headers, b"{}").status == 200
        )
        seen = last_seen(fake)
        assert not seen.header("X-Debug") and seen.header("X-Other") == ["2"]
        assert seen.header("X-Owner") == [key_id] and not seen.header("X-Hokusai-Key-Id")
    with ThreadedGateway(fake.url, forward_headers=("x-trace",)) as only:
        _, secret = only.key()
        headers = {
            "X-API-Key": secret,
            "X-Trace": "t",
            "X-Other": "2",
            "Content-Type": "application/json",
        }
        assert (
            request(only.url, "POST", "/api/2.0/mlflow/runs/search", headers, b"{}").status == 200
        )
        seen = last_seen(fake)
        assert seen.header("X-Trace") == ["t"] and not seen.header("X-Other")
        assert seen.header("Content-Type") == ["application/json"] and seen.body_size == 2


def _blocks(total: int, size: int = MiB):
    block = bytes(range(256)) * (size // 256)
    for start in range(0, total, size):
        yield block[: min(size, total - start)]


def within_constant_memory(label: str, total: int, send) -> object:
    """``send()``'s answer, after checking the process grew far less than ``total``."""
    with PeakRss() as rss:
        answer = send()
    # Client, gateway and fake share this process: all three together stay far below.
    print(f"{label}: RSS growth {rss.growth / MiB:.1f} MiB for {total // MiB} MiB")
    assert rss.growth < 32 * MiB, f"RSS grew {rss.growth / MiB:.1f} MiB for {total / MiB:.0f} MiB"
    return answer


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_upload_streams_in_constant_memory(gateway, fake, key, framing):
    total = 96 * MiB
    length = total if framing == "content-length" else None
    target = f"/api/mlflow{ARTIFACT}/big.bin"
    answer = within_constant_memory(
        f"upload ({framing})",
        total,
        lambda: request(
            gateway.url, "PUT", target, {"X-API-Key": key[1]}, _blocks(total), length=length
        ),
    )
    assert answer.status == 200, answer.body
    assert answer.json()["body_size"] == total
    assert last_seen(fake).body_size == total
    if framing == "content-length":
        assert last_seen(fake).header("Content-Length") == [str(total)]


def test_download_streams_in_constant_memory(gateway, key):
    total = 96 * MiB
    target = f"/api/mlflow{ARTIFACT}/download/{total}"
    answer = within_constant_memory(
        "download",
        total,
        lambda: request(gateway.url, "GET", target, {"X-API-Key": key[1]}, read_chunk=256 * 1024),
    )
    assert answer.status == 200
    assert int(answer.body) == total
    assert answer.header("Content-Length") == [str(total)]


def test_refusals_are_mlflow_shaped_json(gateway, key):
    _, secret = key
    cases = [
        ("GET", "/api/mlflow/not-an-api", {}, 404, "ENDPOINT_NOT_FOUND"),
        (
            "GET",
            "/api/mlflow/api/2.0/mlflow/runs/create",
            {"X-API-Key": secret},
            405,
            "ENDPOINT_NOT_FOUND",
        ),
        (
            "GET",
            "/api/mlflow/../api/2.0/mlflow/runs/get",
            {"X-API-Key": secret},
            400,
            "INVALID_PARAMETER_VALUE",
        ),
        (
            "GET",
            f"/api/mlflow{ARTIFACT}/%2e%2e/%2e%2e/x",
            {"X-API-Key": secret},
            400,
            "INVALID_PARAMETER_VALUE",
        ),
        (
            "GET",
            f"/api/mlflow{ARTIFACT}/a%2f..%2f..%2fx",
            {"X-API-Key": secret},
            400,
            "INVALID_PARAMETER_VALUE",
        ),
        (
            "GET",
            f"/api/mlflow{ARTIFACT}/%252e%252e/x",
            {"X-API-Key": secret},
            400,
            "INVALID_PARAMETER_VALUE",
        ),
        (
            "GET",
            "/api/%6dlflow/api/2.0/mlflow/runs/get",
            {"X-API-Key": secret},
            404,
            "ENDPOINT_NOT_FOUND",
        ),
        ("GET", "/api/mlflow" + RUNS_GET, {}, 401, "UNAUTHENTICATED"),
        ("GET", "/api/mlflow" + RUNS_GET, {"Authorization": "Basic dTpw"}, 401, "UNAUTHENTICATED"),
        ("GET", "/api/mlflow" + RUNS_GET, {"X-API-Key": "x" * 400}, 400, "INVALID_PARAMETER_VALUE"),
    ]
    for method, target, headers, status, code in cases:
        answer = request(gateway.url, method, target, headers)
        assert (answer.status, answer.json()["error_code"]) == (status, code), target
        assert answer.header("Content-Type") == ["application/json"]
        assert answer.json()["message"]
    assert request(gateway.url, "GET", "/api/mlflow" + RUNS_GET).header("WWW-Authenticate")


def test_read_only_key_gets_permission_denied_on_writes_only(gateway):
    _, secret = gateway.key("read")
    headers = {"X-API-Key": secret}
    assert request(gateway.url, "POST", "/api/2.0/mlflow/runs/search", headers, b"{}").status == 200
    denied = request(gateway.url, "POST", "/api/2.0/mlflow/runs/create", headers, b"{}")
    assert denied.status == 403
    assert denied.json()["error_code"] == "PERMISSION_DENIED"
    assert "lacks the 'write' scope" in denied.json()["message"]


def test_revocation_is_effective_on_the_next_request(gateway):
    key_id, secret = gateway.key()
    assert request(gateway.url, "GET", RUNS_GET, {"X-API-Key": secret}).status == 200
    gateway.store.revoke(key_id)
    answer = request(gateway.url, "GET", RUNS_GET, {"X-API-Key": secret})
    assert answer.status == 401 and "revoked" in answer.json()["message"]


def test_slow_mlflow_is_504_deadline_exceeded(gateway, key):
    answer = request(gateway.url, "GET", f"/api/mlflow{ARTIFACT}/slow", {"X-API-Key": key[1]})
    assert answer.status == 504
    assert answer.json()["error_code"] == "DEADLINE_EXCEEDED"
    assert "did not answer in time (1 s without data)" in answer.json()["message"]


def test_mlflow_down_is_503_temporarily_unavailable():
    from hokusai.local import free_port

    with ThreadedGateway(f"http://127.0.0.1:{free_port()}") as gw:
        _, secret = gw.key()
        answer = request(gw.url, "GET", RUNS_GET, {"X-API-Key": secret})
        assert answer.status == 503
        assert answer.json()["error_code"] == "TEMPORARILY_UNAVAILABLE"
        assert "is not reachable" in answer.json()["message"]
        ready = request(gw.url, "GET", "/ready")
        assert ready.status == 503 and ready.json()["checks"]["key_store"] == "ok"
        assert "not reachable" in ready.json()["checks"]["mlflow"]
        assert request(gw.url, "GET", "/health").status == 200


def test_metrics_count_routes_statuses_auth_failures_and_upstream_errors(gateway, key):
    request(gateway.url, "GET", RUNS_GET, {"X-API-Key": key[1]})
    request(gateway.url, "GET", RUNS_GET, {"X-API-Key": "hk_live_" + "Z" * 32})
    request(gateway.url, "GET", f"/api/mlflow{ARTIFACT}/slow", {"X-API-Key": key[1]})
    answer = request(gateway.url, "GET", "/metrics")
    assert answer.status == 200
    assert answer.header("Content-Type")[0].startswith("text/plain; version=")
    text = answer.body.decode()
    assert (
        'hokusai_gateway_requests_total{method="GET",route="/api/2.0/mlflow/runs/get",status="200"}'
        in text
    )
    assert 'hokusai_gateway_auth_failures_total{reason="unknown"}' in text
    assert 'hokusai_gateway_upstream_errors_total{kind="timeout"}' in text
    assert (
        'hokusai_gateway_request_duration_seconds_bucket{le="0.005",method="GET",route="/api/2.0/mlflow/runs/get"}'
        in text
    )


def test_access_log_is_json_with_request_and_key_id_never_the_key(gateway, key, caplog):
    key_id, secret = key
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        request(
            gateway.url, "GET", f"{RUNS_GET}?run_id=7&api_key={secret}", {"X-Request-Id": "rid-1"}
        )
    lines = [JsonFormatter().format(r) for r in caplog.records if r.name == ACCESS_LOGGER]
    assert lines, "no access log line"
    entry = json.loads(lines[-1])
    assert entry["request_id"] == "rid-1"
    assert entry["key_id"] == key_id
    assert entry["status"] == 200 and entry["route"] == RUNS_GET
    assert entry["query"] == "run_id=7"
    assert secret not in lines[-1] and "api_key" not in lines[-1]


def test_an_upload_slower_than_the_read_timeout_is_not_cut_off(gateway, fake, key):
    def trickle():  # 3 s of upload against the module gateway's 1 s read timeout
        for _ in range(6):
            yield b"a" * 1000
            time.sleep(0.5)

    answer = request(
        gateway.url, "PUT", f"{ARTIFACT}/trickle.bin", {"X-API-Key": key[1]}, trickle()
    )
    assert answer.status == 200, answer.body
    assert last_seen(fake).body_size == 6000


def test_a_client_leaving_mid_upload_aborts_the_upstream_request(gateway, fake, key):
    before = len(fake.seen)
    with socket.create_connection(("127.0.0.1", gateway.port)) as sock:
        sock.sendall(
            f"PUT {ARTIFACT}/gone.bin HTTP/1.1\r\nHost: x\r\nX-API-Key: {key[1]}\r\n"
            "Content-Length: 10000000\r\n\r\n".encode()
            + b"a" * 100_000
        )
        time.sleep(0.3)
    time.sleep(1.0)
    assert not [s for s in fake.seen[before:] if s.target.endswith("gone.bin")]
    assert request(gateway.url, "GET", RUNS_GET, {"X-API-Key": key[1]}).status == 200
