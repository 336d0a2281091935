"""The MLflow UI behind a sign-in: pages, sessions, cookies and the same-origin proof.

The real gateway (proxy mode) runs under uvicorn in this process in front of the
recording fake MLflow, so what MLflow received is read off the wire. The same flows
against a real MLflow, in both modes: tests/integration/test_ui_signin.py.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest

from hokusai.gateway.sessions import COOKIE
from hokusai.gateway.signin import CSRF_COOKIE
from tests.support.client import request
from tests.support.fake_mlflow import ECHO_HEADER
from tests.support.servers import ThreadedGateway
from tests.support.signin import FORM, browser, set_cookies

UI = "/api/mlflow"
RUN_LINK = UI + "/#/experiments/1/runs/abc"  # what reaches the server: UI + "/"
SEARCH = UI + "/ajax-api/2.0/mlflow/runs/search"
CREATE = UI + "/ajax-api/2.0/mlflow/experiments/create"
JSON = {"Content-Type": "application/json"}


pytestmark = pytest.mark.fake_stack(session_lifetime=3600)


def sessions_table(gateway) -> list[tuple]:
    with sqlite3.connect(gateway.store.engine.url.database) as conn:
        return conn.execute("SELECT * FROM ui_sessions").fetchall()


def test_a_run_link_without_a_session_gets_the_sign_in_page_at_that_url(gateway, fake):
    mark = len(fake.seen)
    page = request(gateway.url, "GET", UI + "/", {"Accept": "text/html"})
    assert page.status == 401
    assert page.header("content-type") == ["text/html; charset=utf-8"]
    html = page.body.decode()
    assert '<label for="api_key">API key</label>' in html and 'type="password"' in html
    assert f'action="{UI}/signin"' in html and f'name="next" value="{UI}/"' in html
    assert "location.hash" in html  # the fragment (#/experiments/…) is added in the browser
    assert "Not signed in" not in html  # a first visit is no error
    csp = page.header("content-security-policy")[0]
    assert "default-src 'none'" in csp and "form-action 'self'" in csp
    csrf = set_cookies(page)[CSRF_COOKIE]
    assert {"httponly", "samesite"} <= set(csrf.attributes) and csrf.attributes["path"] == UI
    assert len(fake.seen) == mark


@pytest.mark.parametrize("mount", ["", "/mlflow", "/api/mlflow"])
def test_signing_in_returns_to_the_url_asked_for_with_a_session_cookie(gateway, fake, mount):
    _key_id, secret = gateway.key("read")
    client = browser(gateway.url)
    answer = client.sign_in(secret, mount, next_url=f"{mount}/#/experiments/1/runs/abc")
    assert answer.status == 303, answer.body
    assert answer.header("location") == [f"{mount}/#/experiments/1/runs/abc"]
    cookie = set_cookies(answer)[COOKIE]
    assert cookie.attributes["path"] == (mount or "/")
    assert cookie.attributes["max-age"] == "3600"
    assert "httponly" in cookie.attributes and cookie.attributes["samesite"] == "Lax"
    assert "secure" not in cookie.attributes  # plain HTTP, not configured
    assert secret not in answer.header("set-cookie")[0] and len(cookie.value) == 43
    mark = len(fake.seen)
    page = client.get(f"{mount}/")
    assert page.status == 200 and page.header(ECHO_HEADER)  # MLflow's answer
    (seen,) = fake.seen[mark:]
    assert seen.target == "/"
    assert COOKIE not in seen.text() and cookie.value not in seen.text()


def test_the_session_row_has_a_digest_and_the_key_id_never_the_key_or_token(gateway):
    key_id, secret = gateway.key("read")
    client = browser(gateway.url)
    client.sign_in(secret)
    token = client.cookies[COOKIE]
    rows = [row for row in sessions_table(gateway) if row[1] == key_id]
    assert len(rows) == 1
    stored = repr(rows[0])
    assert secret not in stored and token not in stored
    assert len(rows[0][0]) == 64  # the SHA-256 of the token


def test_a_wrong_key_gets_the_page_again_with_the_error_and_401(gateway):
    client = browser(gateway.url)
    answer = client.sign_in("hk_live_" + "W" * 32)
    assert answer.status == 401
    assert "API key not recognised" in answer.body.decode()
    assert COOKIE not in client.cookies
    assert "hk_live_WWWW" not in answer.body.decode()  # the key typed is never echoed


def test_a_key_without_read_scope_cannot_sign_in(gateway):
    _key_id, secret = gateway.key("write")
    answer = browser(gateway.url).sign_in(secret)
    assert answer.status == 403 and "lacks the &#x27;read&#x27; scope" in answer.body.decode()


def test_the_ui_calls_without_a_session_get_mlflow_shaped_401(gateway, fake):
    answer = request(gateway.url, "POST", SEARCH, JSON, b"{}")
    assert answer.status == 401
    assert answer.json()["error_code"] == "UNAUTHENTICATED"
    assert answer.json()["message"].startswith("Not signed in")


def failures(gateway, reason: str) -> float:
    """``hokusai_gateway_auth_failures_total{reason=...}`` as /metrics reports it."""
    text = request(gateway.url, "GET", "/metrics").body.decode()
    line = f'hokusai_gateway_auth_failures_total{{reason="{reason}"}} '
    return sum(float(row.removeprefix(line)) for row in text.splitlines() if row.startswith(line))


def test_browsers_not_signed_in_are_counted_apart_from_api_clients_without_a_key(gateway):
    before = failures(gateway, "signin_required"), failures(gateway, "missing")
    request(gateway.url, "GET", UI + "/", {"Accept": "text/html"})
    request(gateway.url, "POST", SEARCH, JSON, b"{}")
    after = failures(gateway, "signin_required"), failures(gateway, "missing")
    assert (after[0] - before[0], after[1] - before[1]) == (2, 0)
    request(gateway.url, "GET", "/api/mlflow/api/2.0/mlflow/experiments/get?experiment_id=0")
    assert failures(gateway, "missing") == after[1] + 1


def test_a_read_session_browses_but_cannot_write_through_ajax_api(gateway, fake):
    _key_id, secret = gateway.key("read")
    client = browser(gateway.url)
    client.sign_in(secret)
    assert client.post(SEARCH, b"{}", JSON).status == 200
    mark = len(fake.seen)
    refused = client.post(CREATE, b'{"name": "x"}', JSON)
    assert refused.status == 403 and refused.json()["error_code"] == "PERMISSION_DENIED"
    assert "lacks the 'write' scope" in refused.json()["message"]
    assert len(fake.seen) == mark


def test_a_write_session_writes_same_origin_and_mlflow_never_sees_the_origin(gateway, fake):
    _key_id, secret = gateway.key("read", "write")
    client = browser(gateway.url)
    client.sign_in(secret)
    mark = len(fake.seen)
    assert client.post(CREATE, b'{"name": "x"}', JSON).status == 200
    (seen,) = fake.seen[mark:]
    assert seen.target == "/ajax-api/2.0/mlflow/experiments/create"
    assert not seen.header("origin") and not seen.header("cookie")


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Referer": "https://evil.example/page"},
        {},  # neither Origin nor Referer
    ],
)
def test_a_cross_site_post_on_the_session_is_refused_403(gateway, fake, headers):
    _key_id, secret = gateway.key("read", "write")
    client = browser(gateway.url)
    client.sign_in(secret)
    mark = len(fake.seen)
    answer = client.post(CREATE, b'{"name": "x"}', {**JSON, **headers}, same_origin=False)
    assert answer.status == 403 and answer.json()["error_code"] == "PERMISSION_DENIED"
    assert "must come from the registry's own pages" in answer.json()["message"]
    assert len(fake.seen) == mark
    same_referer = {**JSON, "Referer": gateway.url + "/api/mlflow/"}
    assert client.post(CREATE, b'{"name": "x"}', same_referer, same_origin=False).status == 200


def test_an_api_key_request_is_not_asked_for_an_origin(gateway, fake):
    _key_id, secret = gateway.key("read", "write")
    headers = {**JSON, "X-API-Key": secret, "Origin": "https://elsewhere.example"}
    assert request(gateway.url, "POST", CREATE, headers, b'{"name": "x"}').status == 200


@pytest.mark.parametrize("proof", ["origin", "token"])
def test_the_sign_in_form_needs_both_proofs(gateway, proof):
    _key_id, secret = gateway.key("read")
    client = browser(gateway.url)
    token = client.form_token(client.get(UI + "/signin"))
    form = {"api_key": secret, "csrf": token if proof == "origin" else "x" * 43, "next": UI + "/"}
    headers = {"Content-Type": FORM}
    if proof == "origin":
        headers["Origin"] = "https://evil.example"
    answer = client.post(
        UI + "/signin", urlencode(form).encode(), headers, same_origin=proof != "origin"
    )
    assert answer.status == 403 and COOKIE not in client.cookies


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/", "/\\evil.example", "/other/path"]
)
def test_the_return_url_never_leaves_the_mount(gateway, next_url):
    _key_id, secret = gateway.key("read")
    answer = browser(gateway.url).sign_in(secret, next_url=next_url)
    assert answer.status == 303 and answer.header("location") == [UI + "/"]


def test_revoking_the_key_ends_its_sessions_on_the_next_request(gateway, fake):
    key_id, secret = gateway.key("read")
    client = browser(gateway.url)
    client.sign_in(secret)
    assert client.get(UI + "/").status == 200
    gateway.store.revoke(key_id)
    page = client.get(UI + "/")
    assert page.status == 401 and f"API key {key_id} has been revoked" in page.body.decode()
    assert client.post(SEARCH, b"{}", JSON).status == 401


def test_an_expired_session_signs_in_again(gateway, fake):
    key_id, secret = gateway.key("read")
    client = browser(gateway.url)
    client.sign_in(secret)
    past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat(sep=" ")
    with sqlite3.connect(gateway.store.engine.url.database) as conn:
        conn.execute("UPDATE ui_sessions SET expires_at = ? WHERE key_id = ?", (past, key_id))
    page = client.get(UI + "/")
    assert page.status == 401 and "Session expired" in page.body.decode()
    assert client.sign_in(secret).status == 303 and client.get(UI + "/").status == 200


def test_signing_out_deletes_the_session(gateway, fake):
    key_id, secret = gateway.key("read")
    client = browser(gateway.url)
    client.sign_in(secret)
    token = client.cookies[COOKIE]
    answer = client.sign_out()
    assert answer.status == 303 and answer.header("location") == [UI + "/signin?signed_out=1"]
    assert set_cookies(answer)[COOKIE].attributes["max-age"] == "0"
    assert not [row for row in sessions_table(gateway) if row[1] == key_id]
    stolen = request(gateway.url, "GET", UI + "/", {"Cookie": f"{COOKIE}={token}"})
    assert stolen.status == 401 and "Session not recognised" in stolen.body.decode()


def test_a_bare_mount_redirects_to_its_slash(gateway):
    answer = request(gateway.url, "GET", "/mlflow?x=1")
    assert answer.status == 308 and answer.header("location") == ["/mlflow/?x=1"]


def test_cookies_are_secure_over_https_as_uvicorn_reports_it(gateway):
    _key_id, secret = gateway.key("read")
    client = browser(gateway.url)
    page = client.get(UI + "/signin", {"X-Forwarded-Proto": "https"})  # from 127.0.0.1: trusted
    assert "secure" in set_cookies(page)[CSRF_COOKIE].attributes
    form = {"api_key": secret, "csrf": client.form_token(page), "next": UI + "/"}
    headers = {
        "Content-Type": FORM,
        "X-Forwarded-Proto": "https",
        "Origin": "https://" + gateway.url.split("://")[1],
    }
    answer = client.post(UI + "/signin", urlencode(form).encode(), headers, same_origin=False)
    assert answer.status == 303 and "secure" in set_cookies(answer)[COOKIE].attributes


def test_cookies_are_secure_when_configured(fake):
    with ThreadedGateway(fake.url, secure_cookies=True) as gw:
        page = request(gw.url, "GET", UI + "/signin")
        assert "secure" in set_cookies(page)[CSRF_COOKIE].attributes


def test_the_assistant_is_not_served(gateway):
    _key_id, secret = gateway.key("read", "write")
    answer = request(
        gateway.url, "GET", UI + "/ajax-api/3.0/mlflow/assistant/config", {"X-API-Key": secret}
    )
    assert answer.status == 404 and answer.json()["error_code"] == "ENDPOINT_NOT_FOUND"
