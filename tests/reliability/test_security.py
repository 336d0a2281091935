"""What an attacker (or a careless client) observes at the gateway, over real sockets.

The gateway runs under uvicorn in this process (``ThreadedGateway``, the fixtures of
``tests/support/fake_stack.py``) in front of a
recording fake MLflow, so "reached MLflow" is read off what the fake received, and the
gateway's logs (access log on) are captured in full. The last two tests use the
session's real registry and the ``hokusai keys`` CLI, as an operator would.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import json
import logging
import socket
import textwrap
import time
from datetime import UTC, datetime, timedelta

import pytest

from hokusai.gateway import app as gateway_app
from hokusai.gateway import keys as gateway_keys
from tests.reliability._support import MLFLOW_ERROR_CODES, LogCapture, fragments
from tests.support.client import request

API = "/api/mlflow/api/2.0/mlflow"
SEARCH = API + "/experiments/search"
CREATE_RUN = API + "/runs/create"
MiB = 1 << 20


@pytest.fixture(scope="module")
def logs():
    """Every log line of this process while the module runs: root, hokusai and uvicorn."""
    handler = LogCapture()
    names = ("", "hokusai", "uvicorn", "uvicorn.error", "uvicorn.access")
    loggers = [logging.getLogger(n) for n in names]
    hokusai_level = loggers[1].level
    loggers[1].setLevel(logging.INFO)  # the access log is on, as in `hokusai gateway serve`
    # the root, and every logger that does not pass its records on to its parent
    loggers = [lg for lg in loggers if lg.name == "root" or not lg.propagate]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler
    for logger in loggers:
        logger.removeHandler(handler)
    logging.getLogger("hokusai").setLevel(hokusai_level)


@pytest.fixture(scope="module")
def keys(gateway):
    """label -> (key id, secret)."""
    made = {
        "write": gateway.key("read", "write"),
        "read": gateway.key("read"),
        "revoked": gateway.key("read", "write"),
        "gone": gateway.key("read", "write"),
        "expired": gateway.key(
            "read", "write", expires_at=datetime.now(UTC) + timedelta(seconds=1)
        ),
    }
    gateway.store.revoke(made["gone"][0])
    return made


def received(fake, mark: int):
    return fake.seen[mark:]


def error_of(answer) -> dict:
    """The answer is MLflow-shaped JSON with a code MLflow knows; returns it."""
    assert answer.header("content-type")[0].startswith("application/json"), answer
    payload = answer.json()
    assert payload["error_code"] in MLFLOW_ERROR_CODES, payload
    assert payload["message"], payload
    return payload


def no_piece_of(secret: str, text: str) -> bool:
    return not any(f in text for f in fragments(secret))


# ------------------------------------------------------------------ keys never leak


STYLES = {
    "bearer": lambda s: ({"Authorization": f"Bearer {s}"}, ""),
    "apikey": lambda s: ({"Authorization": f"ApiKey {s}"}, ""),
    "x-api-key": lambda s: ({"X-API-Key": s}, ""),
    "query": lambda s: ({}, f"&api_key={s}"),
}


@pytest.mark.parametrize("style", sorted(STYLES))
@pytest.mark.parametrize("label", ["write", "read", "gone", "unknown"])
def test_a_key_never_reaches_mlflow_logs_error_bodies_or_metrics(
    gateway, fake, keys, logs, style, label
):
    secret = keys[label][1] if label in keys else "hk_live_" + "Q" * 32
    headers, query = STYLES[style](secret)
    mark, log_mark = len(fake.seen), len(logs.lines)
    # a write with every key: forwarded for "write", refused (401/403) for the others
    answer = request(
        gateway.url, "POST", CREATE_RUN + "?x=1" + query, headers, b'{"experiment_id":"0"}'
    )
    forwarded = received(fake, mark)
    if label == "write":
        assert answer.status == 200, answer.body
        (seen,) = forwarded
        assert seen.header("X-Hokusai-Key-Id") == [keys["write"][0]]
        assert no_piece_of(secret, seen.target + json.dumps(seen.headers))
    else:
        assert not forwarded
        assert answer.status in (401, 403)
        assert no_piece_of(secret, answer.body.decode())
        error_of(answer)
    log_text = logs.since(log_mark)
    assert '"event": "request"' in log_text, "the access log wrote nothing: the check is void"
    assert no_piece_of(secret, log_text), log_text
    metrics = request(gateway.url, "GET", "/metrics").body.decode()
    assert no_piece_of(secret, metrics)


def test_access_log_has_request_and_key_ids_and_the_query_without_the_key(gateway, keys, logs):
    key_id, secret = keys["read"]
    mark = len(logs.lines)
    request(gateway.url, "GET", f"{API}/experiments/get?experiment_id=0&api_key={secret}&b=2")
    lines = [json.loads(line) for line in logs.lines[mark:] if '"event": "request"' in line]
    (line,) = lines
    assert line["key_id"] == key_id and line["request_id"]
    assert line["query"] == "experiment_id=0&b=2"


@pytest.mark.parametrize("value", ["{}", "Bearer\t{}", "Bearer:{}", "Token={}"])
def test_a_misplaced_key_is_not_echoed_in_the_error(gateway, fake, keys, value):
    """Pasting the key as the whole Authorization value is a common mistake.

    Today up to 20 characters of the value are echoed as the "scheme": 12 of the key's
    32 random characters for a bare key, 4-6 after ``Bearer\\t`` and the like.
    """
    secret = keys["write"][1]
    mark = len(fake.seen)
    answer = request(gateway.url, "GET", SEARCH, {"Authorization": value.format(secret)})
    assert answer.status == 401 and not received(fake, mark)
    body = answer.body.decode()
    assert not any(piece in body for piece in fragments(secret, 4)), body


def test_every_encoding_of_the_api_key_parameter_is_stripped(gateway, fake, keys, logs):
    secret = keys["write"][1]
    mark, log_mark = len(fake.seen), len(logs.lines)
    answer = request(
        gateway.url, "GET", f"{API}/experiments/get?experiment_id=0&%61pi_key={secret}",
        {"X-API-Key": secret},
    )  # fmt: skip
    assert answer.status == 200
    (seen,) = received(fake, mark)
    assert secret not in seen.target
    assert secret not in logs.since(log_mark)


# ------------------------------------------------------------------ key lifecycle & scopes


def test_read_only_key_writing_is_403_naming_the_scope(gateway, fake, keys):
    key_id, secret = keys["read"]
    mark = len(fake.seen)
    answer = request(gateway.url, "POST", CREATE_RUN, {"X-API-Key": secret}, b"{}")
    assert answer.status == 403 and not received(fake, mark)
    payload = error_of(answer)
    assert payload["error_code"] == "PERMISSION_DENIED"
    assert "'write' scope" in payload["message"] and key_id in payload["message"]
    # reads, and read-only POSTs, go through
    assert request(gateway.url, "POST", SEARCH, {"X-API-Key": secret}, b"{}").status == 200


def test_revocation_and_expiry_take_effect_on_the_next_request(gateway, fake, keys):
    key_id, secret = keys["revoked"]
    assert request(gateway.url, "POST", SEARCH, {"X-API-Key": secret}, b"{}").status == 200
    gateway.store.revoke(key_id)
    mark = len(fake.seen)
    answer = request(gateway.url, "POST", SEARCH, {"X-API-Key": secret}, b"{}")
    assert answer.status == 401 and not received(fake, mark)
    assert "revoked" in error_of(answer)["message"]

    key_id, secret = keys["expired"]
    expires = gateway.store.get(key_id).expires_at
    time.sleep(max(0.0, (expires - datetime.now(UTC)).total_seconds()) + 0.05)
    answer = request(gateway.url, "POST", SEARCH, {"X-API-Key": secret}, b"{}")
    assert answer.status == 401 and not received(fake, mark)
    assert "expired" in error_of(answer)["message"]


# ------------------------------------------------------------------ smuggling & duplicates


@pytest.mark.parametrize(
    "headers",
    [
        [("X-API-Key", "{w}"), ("X-API-Key", "{w}")],
        [("Authorization", "Bearer {w}"), ("Authorization", "Bearer {w}")],
        [("X-API-Key", "{w}"), ("Authorization", "Bearer {r}")],
        [("X-API-Key", "{r}"), ("Authorization", "Bearer {w}")],
        [("Authorization", "Bearer {r}, Bearer {w}")],
        [("X-API-Key", "{r},{w}")],
        [("X-API-Key", "")],
        [("Authorization", "")],
        [("Authorization", "Basic dXNlcjpwYXNz")],
        [("X-API-Key", "{w}é".encode().decode("latin-1"))],
    ],
    ids=lambda h: "+".join(n for n, _ in h),
)
def test_duplicate_conflicting_or_odd_credentials_are_refused(gateway, fake, keys, headers):
    w, r = keys["write"][1], keys["read"][1]
    concrete = [(n, v.format(w=w, r=r)) for n, v in headers]
    mark = len(fake.seen)
    answer = request(gateway.url, "POST", CREATE_RUN, concrete, b"{}")
    assert answer.status in (400, 401), answer.body
    assert not received(fake, mark)
    error_of(answer)


def test_a_conflicting_query_key_does_not_upgrade_a_read_key(gateway, fake, keys):
    w, r = keys["write"][1], keys["read"][1]
    mark = len(fake.seen)
    answer = request(gateway.url, "POST", f"{CREATE_RUN}?api_key={w}", {"X-API-Key": r}, b"{}")
    assert answer.status == 400 and not received(fake, mark)
    assert error_of(answer)["error_code"] == "INVALID_PARAMETER_VALUE"


def _raw(port: int, data: bytes, timeout: float = 5.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        out = b""
        try:
            while chunk := sock.recv(65536):
                out += chunk
        except TimeoutError:
            pass
    return out


SMUGGLED = b"GET /api/2.0/mlflow/experiments/search HTTP/1.1\r\nHost: x\r\n\r\n"


@pytest.mark.parametrize(
    "framing",
    [
        b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED,
        b"Transfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n0\r\n\r\n" + SMUGGLED,
        b"Content-Length: 0\r\nContent-Length: 60\r\n\r\n" + SMUGGLED,
        b"Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n" + SMUGGLED,
        b"Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n" + SMUGGLED,
    ],
    ids=["CL+TE", "TE+CL", "CL+CL", "TE-list", "TE-obfuscated"],
)
def test_request_smuggling_never_reaches_mlflow_unauthenticated(gateway, fake, keys, framing):
    """Ambiguous framing: refused, or at most the authenticated request is forwarded.

    A smuggled request carries no key: if MLflow ever receives a second request on
    this connection, the gateway and MLflow disagreed on where the first one ended.
    """
    secret = keys["write"][1].encode()
    mark = len(fake.seen)
    head = (
        b"POST " + CREATE_RUN.encode() + b" HTTP/1.1\r\nHost: x\r\nX-API-Key: " + secret + b"\r\n"
    )
    out = _raw(gateway.port, head + framing)
    time.sleep(0.3)
    forwarded = received(fake, mark)
    assert out.startswith(b"HTTP/1.1 "), out[:100]
    assert len(forwarded) <= 1, [s.target for s in forwarded]
    assert all(s.header("X-Hokusai-Key-Id") for s in forwarded)
    assert all("experiments/search" not in s.target for s in forwarded), forwarded


# ------------------------------------------------------------------ traversal


@pytest.mark.parametrize(
    "target",
    [
        "/api/mlflow/api/2.0/mlflow/../../../etc/passwd",
        "/api/mlflow/api/2.0/mlflow-artifacts/artifacts/../../../../etc/passwd",
        "/api/mlflow/api/2.0/mlflow-artifacts/artifacts/%2e%2e/%2e%2e/secret",
        "/api/mlflow/api/2.0/mlflow-artifacts/artifacts/%252e%252e/%252e%252e/secret",
        "/api/mlflow/api/2.0/mlflow-artifacts/artifacts/1%2f..%2f..%2fsecret",
        "/api/mlflow/api/2.0/mlflow-artifacts/artifacts/..%5c..%5csecret",
        "/api/mlflow/api/2.0/mlflow-artifacts/artifacts/a/%00/b",
        "/api/mlflow/api/2.0/mlflow/experiments/./search",
        "/api/mlflow/..%2fajax-api/2.0/mlflow/experiments/search",
        "/api/mlflow/api/2.0/mlflow/../../../ajax-api/2.0/mlflow/users/create",
        "/mlflow/%2e%2e/graphql",
    ],
)
def test_path_traversal_is_refused_before_mlflow(gateway, fake, keys, target):
    mark = len(fake.seen)
    answer = request(gateway.url, "GET", target, {"X-API-Key": keys["write"][1]})
    assert answer.status in (400, 404), answer.body
    assert not received(fake, mark), [s.target for s in received(fake, mark)]
    error_of(answer)


# ------------------------------------------------------------------ oversized input


def test_an_oversized_key_is_refused_without_a_lookup(gateway, fake):
    mark = len(fake.seen)
    answer = request(gateway.url, "POST", SEARCH, {"X-API-Key": "hk_live_" + "a" * 100_000}, b"{}")
    # 431: headers over the 64 KiB limit
    assert answer.status in (400, 431) and not received(fake, mark)
    assert error_of(answer)["error_code"] == "INVALID_PARAMETER_VALUE"


def test_oversized_headers_are_refused_by_the_gateway_itself(gateway, fake, keys):
    mark = len(fake.seen)
    answer = request(
        gateway.url, "POST", SEARCH, {"X-API-Key": keys["write"][1], "X-Junk": "x" * MiB}, b"{}"
    )
    assert not received(fake, mark) and answer.status in (400, 413, 431), answer.body[:200]
    error_of(answer)


def _chunks(total: int, size: int = MiB):
    block = b"\xa5" * size
    for start in range(0, total, size):
        yield block[: min(size, total - start)]


@pytest.mark.parametrize("label, status", [("none", 401), ("read", 403)])
def test_a_refused_upload_is_answered_without_forwarding_the_body(
    gateway, fake, keys, label, status
):
    """64 MiB sent to a write route without the right key: refused, nothing streamed on."""
    headers = {"X-API-Key": keys[label][1]} if label in keys else {}
    mark = len(fake.seen)
    target = "/api/mlflow/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/big.bin"
    try:
        answer = request(gateway.url, "PUT", target, headers, _chunks(64 * MiB), length=64 * MiB)
    except (BrokenPipeError, ConnectionResetError):
        answer = None  # the gateway answered and closed before the upload was sent: fine
    assert not received(fake, mark)
    if answer is not None:
        assert answer.status == status
        error_of(answer)


def test_a_large_authorised_upload_arrives_intact(gateway, fake, keys):
    total = 48 * MiB
    digest = hashlib.sha256()
    for chunk in _chunks(total):
        digest.update(chunk)
    mark = len(fake.seen)
    target = "/api/mlflow/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/big.bin"
    answer = request(gateway.url, "PUT", target, {"X-API-Key": keys["write"][1]}, _chunks(total))
    assert answer.status == 200, answer.body
    (seen,) = received(fake, mark)
    assert (seen.body_size, seen.body_sha256) == (total, digest.hexdigest())


# ------------------------------------------------------------------ constant-time compare


def _calls(function) -> set[str]:
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    return {ast.unparse(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}


def test_keys_are_looked_up_by_digest_and_compared_in_constant_time():
    """Structural check (a statistical timing test would be flaky on a shared box).

    ``KeyStore.verify`` must hash the presented secret before it touches the database
    (so lookup timing can only reveal bits of a SHA-256 digest, never of the key), and
    compare the stored digest with ``hmac.compare_digest``; no ``==``/``!=`` may involve
    the secret or a digest anywhere in it.
    """
    verify = gateway_keys.KeyStore.verify
    calls = _calls(verify)
    assert "hash_key" in calls and "hmac.compare_digest" in calls, calls
    assert "hashlib.sha256" in _calls(gateway_keys.hash_key)
    tree = ast.parse(textwrap.dedent(inspect.getsource(verify)))
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and any(
            isinstance(o, ast.Eq | ast.NotEq) for o in node.ops
        ):
            names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            assert not names & {"secret", "digest"}, ast.unparse(node)
    # The gateway itself never compares a presented secret with anything stored.
    source = inspect.getsource(gateway_app)
    assert "compare_digest" not in source and "key_hash" not in source


# ------------------------------------------------------------------ against the real registry


def test_cli_read_key_writing_with_the_mlflow_client_says_which_scope(local_registry, monkeypatch):
    """An operator makes a read key with the CLI; a user writes with it through MLflow."""
    import mlflow
    from mlflow.exceptions import MlflowException

    created = local_registry.hokusai(
        "keys", "create", "--name", "reliability-read", "--scope", "read"
    )
    secret = created.stdout.strip().splitlines()[-1]
    key_id = created.stdout.split()[1]
    monkeypatch.setenv("HOKUSAI_API_KEY", secret)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    client = mlflow.MlflowClient(tracking_uri=local_registry.tracking_uri)
    client.search_experiments(max_results=1)  # reading works
    with pytest.raises(MlflowException) as caught:
        client.create_experiment(f"reliability-denied-{time.time_ns()}")
    assert caught.value.error_code == "PERMISSION_DENIED"
    assert "'write' scope" in str(caught.value) and key_id in str(caught.value)

    local_registry.hokusai("keys", "revoke", key_id)
    with pytest.raises(MlflowException) as caught:
        client.search_experiments(max_results=1)
    assert caught.value.error_code == "UNAUTHENTICATED" and "revoked" in str(caught.value)
    assert secret not in str(caught.value)


# -------------------------------------------------------- the UI's sign-in and cookies

UI_PAGE = "/api/mlflow/"
UI_WRITE = "/api/mlflow/ajax-api/2.0/mlflow/experiments/create"


@pytest.fixture(scope="module")
def session_cookies(gateway, keys) -> dict[str, str]:
    """label -> the Cookie header of a browser holding that kind of session cookie."""
    write_key = gateway.store.get(keys["write"][0])
    valid = gateway.app.sessions.create(write_key)[0]
    other = gateway.app.sessions.create(write_key)[0]
    expired = gateway.app.sessions.create(write_key)[0]
    revoked = gateway.app.sessions.create(gateway.store.get(keys["gone"][0]))[0]
    with gateway.store.engine.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE ui_sessions SET expires_at = '2000-01-01 00:00:00' WHERE token_hash = ?",
            (hashlib.sha256(expired.encode()).hexdigest(),),
        )
    return {
        "valid": f"hokusai_session={valid}",
        "missing": "theme=dark",
        "forged": "hokusai_session=" + "F" * 43,
        "expired": f"hokusai_session={expired}",
        "revoked": f"hokusai_session={revoked}",
        "oversized": "hokusai_session=" + "O" * 10_000,
        "duplicated": f"hokusai_session={valid}; hokusai_session={other}",
        "malformed": "hokusai_session=a b",
    }


@pytest.mark.parametrize(
    "label", ["missing", "forged", "expired", "revoked", "oversized", "duplicated", "malformed"]
)
def test_a_bad_session_cookie_gets_the_sign_in_page_or_401_never_mlflow(
    gateway, fake, logs, session_cookies, label
):
    cookie = session_cookies[label]
    mark, log_mark = len(fake.seen), len(logs.lines)
    page = request(gateway.url, "GET", UI_PAGE, {"Cookie": cookie, "Accept": "text/html"})
    assert page.status == 401 and page.header("content-type")[0].startswith("text/html")
    call = request(
        gateway.url, "POST", UI_WRITE,
        {"Cookie": cookie, "Origin": gateway.url, "Content-Type": "application/json"},
        b'{"name": "never"}',
    )  # fmt: skip
    assert call.status == 401 and error_of(call)["error_code"] == "UNAUTHENTICATED"
    assert not received(fake, mark)
    value = cookie.partition("=")[2]
    assert value[:12] not in logs.since(log_mark) and value[:12] not in page.body.decode()


def test_a_cross_site_post_with_a_valid_session_is_403_and_never_reaches_mlflow(
    gateway, fake, session_cookies
):
    mark = len(fake.seen)
    for origin in ("https://evil.example", "null", gateway.url + ".evil.example"):
        headers = {"Cookie": session_cookies["valid"], "Origin": origin}
        answer = request(gateway.url, "POST", UI_WRITE, headers, b'{"name": "never"}')
        assert answer.status == 403 and error_of(answer)["error_code"] == "PERMISSION_DENIED"
    answer = request(gateway.url, "POST", UI_WRITE, {"Cookie": session_cookies["valid"]}, b"{}")
    assert answer.status == 403  # neither Origin nor Referer: no proof
    assert not received(fake, mark)


def test_signing_in_logs_neither_the_key_nor_the_session_token(gateway, fake, keys, logs):
    from tests.support.signin import browser

    _key_id, secret = keys["read"]
    mark = len(logs.lines)
    client = browser(gateway.url)
    answer = client.sign_in(secret)
    assert answer.status == 303
    page = client.get(UI_PAGE)
    assert page.status == 200
    token = client.cookies["hokusai_session"]
    lines = logs.since(mark)
    assert '"route": "/signin"' in lines  # the access log did see the sign-in
    assert no_piece_of(secret, lines) and token not in lines
    assert all(token not in seen.text() for seen in fake.seen)
