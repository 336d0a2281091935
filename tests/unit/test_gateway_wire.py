"""The bytes the proxy writes to MLflow, read back by h11 (an HTTP/1.1 parser of its own).

:mod:`hokusai.gateway.wire` builds request heads and chunk framing by hand; these tests
parse its output as an HTTP server would, with h11, so a malformed head, a header that
should have been dropped, or a framing error shows up as what MLflow would receive,
independently of the gateway's own code.
"""

from __future__ import annotations

import h11
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hokusai.gateway.wire import InvalidHeader, Origin, chunk, request_head

ORIGIN = Origin.from_url("http://127.0.0.1:5001")


def parse(data: bytes) -> tuple[h11.Request, bytes, bool]:
    """The request h11 reads from ``data``: (head, body, whether the message ended)."""
    server = h11.Connection(h11.SERVER)
    server.receive_data(data)
    request = server.next_event()
    assert isinstance(request, h11.Request), request
    body, ended = b"", False
    while True:
        event = server.next_event()
        if isinstance(event, h11.Data):
            body += bytes(event.data)
        elif isinstance(event, h11.EndOfMessage):
            ended = True
            break
        else:
            assert event is h11.NEED_DATA, event
            break
    return request, body, ended


def headers(lines: str) -> list[tuple[bytes, bytes]]:
    """``name: value`` lines as ASGI header pairs."""
    pairs = [line.strip().split(": ", 1) for line in lines.strip().splitlines()]
    return [(name.encode(), value.encode()) for name, value in pairs]


def test_the_request_line_and_host_are_mlflows():
    origin = Origin.from_url("http://mlflow.internal:5001/base/")
    _, head, announced, chunked = request_head(
        origin, "GET", b"/api/2.0/mlflow/runs/get?run_id=1", []
    )
    request, body, ended = parse(head)
    assert (request.method, request.target, request.http_version) == (
        b"GET",
        b"/base/api/2.0/mlflow/runs/get?run_id=1",
        b"1.1",
    )
    assert list(request.headers) == [(b"host", b"mlflow.internal:5001")]
    assert (body, ended, announced, chunked) == (b"", True, False, False)


def test_hop_by_hop_credentials_host_and_expect_are_dropped_the_rest_kept_in_order():
    sent = headers(
        """
        host: gateway.example
        x-custom: kept
        authorization: Bearer hk_live_secret
        x-api-key: hk_live_secret
        connection: keep-alive, X-Private
        x-private: hop
        keep-alive: timeout=5
        proxy-authorization: Basic eDp5
        te: trailers
        upgrade: h2c
        expect: 100-continue
        accept: */*
        x-hokusai-key-id: key_1
        """
    )
    head = request_head(ORIGIN, "GET", b"/x", sent).head
    request, _, _ = parse(head)
    assert list(request.headers) == [
        (b"host", b"127.0.0.1:5001"),
        (b"x-custom", b"kept"),
        (b"accept", b"*/*"),
        (b"x-hokusai-key-id", b"key_1"),
    ]


def test_credentials_in_mlflow_url_are_sent_as_basic_auth_never_the_clients():
    origin = Origin.from_url("http://user:p%40ss@127.0.0.1:5001")
    sent = [(b"authorization", b"Bearer hk_live_secret")]
    request, _, _ = parse(request_head(origin, "GET", b"/x", sent).head)
    assert list(request.headers) == [
        (b"host", b"127.0.0.1:5001"),
        (b"authorization", b"Basic dXNlcjpwQHNz"),  # base64("user:p@ss")
    ]
    assert "p%40ss" not in origin.url and "user" not in origin.url


def test_a_body_with_a_length_keeps_it():
    sent = [(b"content-type", b"application/json"), (b"content-length", b"6")]
    _, head, announced, chunked = request_head(ORIGIN, "PUT", b"/x", sent)
    request, body, ended = parse(head + b"abcdef")
    assert announced and not chunked and (body, ended) == (b"abcdef", True)
    assert (b"content-length", b"6") in list(request.headers)
    assert all(name != b"transfer-encoding" for name, _ in request.headers)


def test_a_body_without_a_length_goes_chunked_and_decodes_whole():
    sent = [(b"transfer-encoding", b"chunked"), (b"content-type", b"application/octet-stream")]
    _, head, announced, chunked = request_head(ORIGIN, "POST", b"/x", sent)
    pieces = [b"abc", b"", b"x" * 70_000, b"defg"]
    framed = b"".join(chunk(p, last=i == len(pieces) - 1) for i, p in enumerate(pieces))
    request, body, ended = parse(head + framed)
    assert announced and chunked and (body, ended) == (b"".join(pieces), True)
    assert [v for n, v in request.headers if n == b"transfer-encoding"] == [b"chunked"]


def test_a_bodyless_write_says_length_zero_and_a_get_says_nothing():
    post = request_head(ORIGIN, "POST", b"/x", [(b"content-length", b"0")]).head
    get = request_head(ORIGIN, "GET", b"/x", []).head
    post_request, _, post_ended = parse(post)
    get_request, _, get_ended = parse(get)
    assert (b"content-length", b"0") in list(post_request.headers) and post_ended
    assert all(n != b"content-length" for n, _ in get_request.headers) and get_ended


@pytest.mark.parametrize(
    "target, headers",
    [
        (b"/x", [(b"x-a", b"1\r\nX-Evil: 1")]),
        (b"/x", [(b"x-a", b"1\nX-Evil: 1")]),
        (b"/x", [(b"x-a", b"1\rX-Evil: 1")]),
        (b"/x", [(b"x-a\r\nX-Evil", b"1")]),
        (b"/x\r\nX-Evil: 1", []),
        (b"/x HTTP/1.1\r\n\r\nGET /admin", []),
    ],
)
def test_a_line_break_anywhere_is_refused(target, headers):
    with pytest.raises(InvalidHeader):
        request_head(ORIGIN, "GET", target, headers)


TOKEN = st.text("abcdefghijklmnopqrstuvwxyz0123456789-_.!#$%&'*+^`|~", min_size=1, max_size=20)
VALUE = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=40)
FORBIDDEN = st.sampled_from(["\r\n", "\n", "\r"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(TOKEN, VALUE), max_size=8), st.booleans())
def test_any_plain_headers_reach_mlflow_as_sent(headers, body):
    """Every header that is neither hop-by-hop nor a credential nor Host/Expect arrives
    with its value, in order, and the framing is what the body needs."""
    raw = [(name.encode(), value.encode()) for name, value in headers]
    reserved = {b"connection", b"keep-alive", b"proxy-authenticate", b"proxy-authorization",
                b"proxy-connection", b"te", b"trailer", b"transfer-encoding", b"upgrade",
                b"authorization", b"x-api-key", b"host", b"expect", b"content-length"}  # fmt: skip
    raw = [(n, v) for n, v in raw if n not in reserved]
    sent = [*raw, (b"transfer-encoding", b"chunked")] if body else raw
    _, head, announced, chunked = request_head(ORIGIN, "POST", b"/api/x", sent)
    request, parsed_body, ended = parse(head + (chunk(b"data", last=True) if body else b""))
    framing = [(b"transfer-encoding", b"chunked")] if body else [(b"content-length", b"0")]
    assert list(request.headers) == [(b"host", b"127.0.0.1:5001"), *raw, *framing]
    assert announced == chunked == body and ended and parsed_body == (b"data" if body else b"")


@settings(max_examples=100, deadline=None)
@given(TOKEN, VALUE, VALUE, FORBIDDEN)
def test_no_generated_line_break_gets_through(name, before, after, line_break):
    value = (before + line_break + after).encode()
    with pytest.raises(InvalidHeader):
        request_head(ORIGIN, "GET", b"/x", [(name.encode(), value)])
