"""Hypothesis-generated requests against the gateway's ASGI app, with a fake MLflow.

Each generated request goes through the real app (``create_app(GatewaySettings(...))``
with a SQLite key store) on this module's event loop; the fake MLflow
(:mod:`tests.support.fake_mlflow`) records what was forwarded. Properties, checked on every case:

- the gateway never answers 5xx (the upstream is healthy here, and never sends 5xx);
- every answer the gateway makes itself is MLflow-shaped JSON with a code MLflow knows,
  except the MLflow UI's sign-in page (HTML, for a browser opening the UI's page or
  the sign-in endpoints) and its redirects (to a path of this gateway);
- a request whose credentials are missing, malformed, conflicting, unknown, revoked,
  expired or lack the scope is never forwarded (read off the fake, oracle below);
- no credential reaches MLflow (headers, path, query), and no key appears in an error
  body or in any log line (the access log and the header-debug log are on); the key
  *id* is forwarded, once;
- a forwarded body arrives byte for byte.

Profiles: ``fast`` (default) and ``stress`` (``HYPOTHESIS_PROFILE=stress``); see
``_profiles.py``. Two generators target bugs the fuzzing found (a key echoed in a 401
body, an encoded ``api_key`` name forwarded); both are fixed and stay as regressions.
"""

from __future__ import annotations

import asyncio
import base64
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, unquote

import pytest

pytest.importorskip("hypothesis")

from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from hokusai.gateway import GatewaySettings, create_app
from hokusai.gateway.routes import load_table
from hokusai.gateway.sessions import token_digest
from hokusai.gateway.ui import UI_ROUTES
from tests.reliability._profiles import (
    FUZZ_CASES,
    PROFILE_NAME,
    STRESS_MIN_CASES,
    profile,
)
from tests.reliability._support import assert_mlflow_error, captured_logs, fragments
from tests.support.client import Reply, asgi_call
from tests.support.fake_mlflow import FakeMlflow

PROFILE = profile()
# Shrinking a known bug's counterexample only costs time: those tests stop at the first.
NO_SHRINK = settings(PROFILE, phases=[Phase.explicit, Phase.generate])

# Independent oracle for "this may be done with a read-only key" (docs/contributing/mlflow-facts.md),
# deliberately not the gateway's own table.
READ_ONLY_POST_SUFFIXES = (
    "/experiments/search",
    "/runs/search",
    "/logged-models/search",
    "/registered-models/get-latest-versions",
    "/traces/search",
    "/traces/batchGetInfos",
    "/traces/metrics",
    "/traces/calculate-filter-correlation",
    "/datasets/search",
    "/issues/search",
    "/prompt-optimization/jobs/search",
    # the UI's own read-only POSTs (GraphQL's schema has only searches)
    "/graphql",
    "/ui-telemetry",
    "/experiments/search-datasets",
    "/jobs/search",
)
MOUNTS = ("/api/mlflow", "/mlflow", "")
TEMPLATES = sorted(load_table())
_PLACEHOLDER = re.compile(r"<(?:(\w+):)?\w+>")


# --------------------------------------------------------------------------- the stack


@dataclass
class Stack:
    loop: asyncio.AbstractEventLoop
    mlflow: FakeMlflow
    app: object
    logs: object
    secrets: dict[str, str]  # label -> secret
    key_ids: dict[str, str]  # label -> key id
    forwarded: int = 0
    refused: int = 0
    statuses: dict[int, int] = field(default_factory=dict)

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    @property
    def valid(self) -> dict[str, str]:
        """secret -> label, for the keys that may be used (not revoked or expired)."""
        return {self.secrets[k]: k for k in ("write", "read", "admin")}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    loop = asyncio.new_event_loop()
    mlflow = FakeMlflow()
    db = tmp_path_factory.mktemp("fuzz") / "keys.db"
    # Both observability switches on: the header-debug lines and the key-id counter are
    # scanned for keys with everything else.
    settings = GatewaySettings(
        mlflow_url=mlflow.url, db_url=f"sqlite:///{db}", debug_headers=True, metrics_key_ids=True
    )
    app = create_app(settings)
    secrets, ids = {}, {}
    for label, scopes in (("write", ("read", "write")), ("read", ("read",)), ("admin", ("admin",))):
        key, secrets[label] = app.store.create(label, scopes)
        ids[label] = key.id
    key, secrets["revoked"] = app.store.create("revoked", ("read", "write"))
    app.store.revoke(key.id)
    ids["revoked"] = key.id
    past = datetime.now(UTC) - timedelta(minutes=1)
    key, secrets["expired"] = app.store.create("expired", ("read", "write"), expires_at=past)
    ids["expired"] = key.id
    secrets["unknown"] = "hk_live_" + "Z" * 32  # well-formed, never stored
    with captured_logs() as logs:
        yield Stack(loop, mlflow, app, logs, secrets, ids)
    loop.run_until_complete(app.inner.close())
    mlflow.close()
    app.store.close()
    loop.close()


# ------------------------------------------------------------------------- strategies

SPECIAL_SEGMENTS = (
    "..", ".", "%2e%2e", "%2E%2e", "%2e", "%252e%252e", "%25252e%25252e", "%2f", "%2F",
    "%252f", "%5c", "%5C", "\\", "%00", "%", "%zz", "%25", "%20", "%c3%a9", "%ff", ";x=1",
    "", "~", "é", "..;", "%2e%2e%2f", ".%2e", "api", "mlflow", "*", "?", "#",
)  # fmt: skip
benign_segment = st.from_regex(r"\A[A-Za-z0-9_-]{1,12}\Z")
segment = st.one_of(benign_segment, benign_segment, st.sampled_from(SPECIAL_SEGMENTS))


@st.composite
def route_paths(draw, adversarial: bool = False) -> str:
    """A mount prefix and an MLflow route template with its placeholders filled in."""
    mount = draw(st.sampled_from((*MOUNTS, "/api/mlflow/", "/API/mlflow", "/other", "/api")))
    template = draw(st.sampled_from(TEMPLATES))
    fill = segment if adversarial else benign_segment

    def filled(match: re.Match) -> str:
        parts = draw(st.lists(fill, min_size=1, max_size=3 if match.group(1) == "path" else 1))
        return "/".join(parts)

    path = _PLACEHOLDER.sub(filled, template)
    if adversarial and draw(st.booleans()):
        parts = path.split("/")
        where = draw(st.integers(1, len(parts)))
        parts.insert(where, draw(segment))
        path = "/".join(parts)
    return mount + path


TABLE = load_table()


@st.composite
def routed(draw) -> tuple[str, str]:
    """(method, path) of a real MLflow API call at a real mount: reaches the auth decision."""
    template = draw(st.sampled_from(TEMPLATES))
    method = draw(st.sampled_from(sorted(TABLE[template])))
    path = _PLACEHOLDER.sub(lambda m: draw(benign_segment), template)
    return method, draw(st.sampled_from(MOUNTS)) + path


junk_paths = st.lists(segment, min_size=0, max_size=6).map(lambda s: "/" + "/".join(s))
any_path = st.one_of(route_paths(), route_paths(), route_paths(adversarial=True), junk_paths)

KEY_LABELS = ("write", "write", "read", "admin", "revoked", "expired", "unknown")
garbage_secret = st.one_of(
    st.just(""),
    st.just(" "),
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=40),
    st.just("hk_live_" + "a" * 300),
    st.text(st.characters(min_codepoint=0x80, max_codepoint=0xFF), min_size=1, max_size=10),
    st.just("hk_live_abc def"),
)
HEADER_STYLES = (
    "Bearer {}", "bearer {}", "BEARER  {}", "ApiKey {}", "apikey {}", "Token {}", "Basic {}",
    "{}", "Bearer\t{}", "Bearer", " Bearer {} ",
)  # fmt: skip
QUERY_NAMES = ("api_key", "api%5Fkey", "api%5fkey")


@dataclass
class Credentials:
    headers: list[tuple[bytes, bytes]]
    query: list[str]  # "name=value" pairs
    used: list[str]  # every secret string placed in the request


def _bytes(value: str) -> bytes:
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


@st.composite
def credentials(draw, stack_secrets: dict[str, str], query_names=QUERY_NAMES) -> Credentials:
    headers, query, used = [], [], []
    for _ in range(draw(st.integers(0, 3))):
        if draw(st.integers(0, 9)) < 8:
            secret = stack_secrets[draw(st.sampled_from(KEY_LABELS))]
        else:
            secret = draw(garbage_secret)
        used.append(secret)
        where = draw(st.sampled_from(("authorization", "x-api-key", "query")))
        if where == "authorization":
            style = draw(st.sampled_from(HEADER_STYLES))
            if style.startswith("Basic"):
                secret_text = base64.b64encode(f"user:{secret}".encode()).decode()
            else:
                secret_text = secret
            headers.append((b"authorization", _bytes(style.format(secret_text).strip())))
        elif where == "x-api-key":
            headers.append((b"x-api-key", _bytes(secret)))
        else:
            name = draw(st.sampled_from(query_names))
            value = draw(st.sampled_from((quote(secret, safe=""), secret.replace(" ", "+"))))
            query.append(f"{name}={value}")
    return Credentials(headers, query, used)


header_value = st.text(
    st.one_of(
        st.characters(min_codepoint=0x20, max_codepoint=0x7E),
        st.characters(min_codepoint=0x80, max_codepoint=0xFF),
        st.just("\t"),
    ),
    max_size=60,
).map(lambda s: s.strip(" \t").encode("latin-1"))
SPECIAL_HEADERS = (
    "host", "content-type", "connection", "x-hokusai-key-id", "x-request-id", "cookie",
    "proxy-authorization", "te", "upgrade", "expect", "keep-alive", "accept-encoding",
    "x-forwarded-for", "forwarded", "transfer-encoding",
)  # fmt: skip
SPECIAL_VALUES = (
    b"close", b"keep-alive, x-api-key", b"x-hokusai-key-id", b"authorization", b"chunked",
    b"100-continue", b"key_forged", b"gzip", b"application/json", b"h2c", b"",
)  # fmt: skip
extra_headers = st.lists(
    st.tuples(
        st.one_of(
            st.sampled_from(SPECIAL_HEADERS),
            st.from_regex(r"\A[a-z0-9!#$%&'*+.^_`|~-]{1,20}\Z"),
        ).map(str.encode),
        st.one_of(header_value, st.sampled_from(SPECIAL_VALUES), st.just(b"x" * 9000)),
    ),
    max_size=6,
)
# A server hands the app ASCII query strings only (uvicorn refuses raw non-ASCII bytes).
query_param = st.tuples(
    st.from_regex(r"\A[a-z_]{1,10}\Z"),
    st.one_of(benign_segment, st.sampled_from(SPECIAL_SEGMENTS), st.just("a+b%2Fc")),
).map(lambda kv: f"{kv[0]}={kv[1] if kv[1].isascii() else quote(kv[1])}")
METHODS = ("GET", "GET", "POST", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "PROPFIND")
bodies = st.one_of(
    st.just([]),
    st.lists(st.binary(min_size=1, max_size=1024), min_size=1, max_size=4),
)


@dataclass
class Case:
    method: str
    raw_path: str
    query: str
    headers: list[tuple[bytes, bytes]]
    body: list[bytes]
    creds: Credentials


@st.composite
def cases(draw, stack_secrets, paths=any_path, query_names=QUERY_NAMES, real=False) -> Case:
    creds = draw(credentials(stack_secrets, query_names))
    params = draw(st.lists(query_param, max_size=4)) + creds.query
    params = draw(st.permutations(params)) if params else []
    separator = draw(st.sampled_from(("&", "&", "&&")))
    extra = draw(extra_headers)
    headers = draw(st.permutations(creds.headers + extra)) if creds.headers or extra else []
    body = draw(bodies)
    if body and draw(st.booleans()):
        headers.append((b"transfer-encoding", b"chunked"))
    method, path = draw(routed()) if real else (draw(st.sampled_from(METHODS)), draw(paths))
    return Case(
        method=method,
        raw_path=path,
        query=separator.join(params),
        headers=headers,
        body=body,
        creds=creds,
    )


# ---------------------------------------------------------------------------- oracles

# Where the gateway answers a browser with HTML: the UI's page of each mount, and the
# sign-in and sign-out endpoints.
PAGES = {f"{mount}{page}" for mount in MOUNTS for page in ("/", "/signin", "/signout")}


def assert_gateway_answer(reply: Reply, case: Case) -> None:
    """An answer the gateway made itself: MLflow-shaped JSON, or (for the UI's page
    and the sign-in endpoints) an HTML page, or a redirect to a path of its own."""
    content_type = b"".join(v for k, v in reply.headers if k.lower() == b"content-type")
    if content_type.startswith(b"text/html"):
        assert unquote(case.raw_path) in PAGES, (case.raw_path, reply.status)
        assert reply.status in (200, 400, 401, 403), reply.status
        return
    if reply.status in (303, 308):
        (location,) = [v for k, v in reply.headers if k.lower() == b"location"]
        assert location.startswith(b"/") and not location.startswith(b"//"), location
        return
    assert_mlflow_error(reply)


def _auth_values(case: Case) -> tuple[list[str], bool]:
    """(credential values found, all well-formed) by the contract's rules (DESIGN §4)."""
    values, ok = [], True
    for name, raw in case.headers:
        if name == b"x-api-key":
            values.append(raw.decode("latin-1").strip())
        elif name == b"authorization":
            scheme, _, token = raw.decode("latin-1").strip().partition(" ")
            ok &= scheme.lower() in ("bearer", "apikey")
            values.append(token.strip())
    for pair in case.query.split("&"):
        name, _, value = pair.partition("=")
        if unquote(name.replace("+", " ")) == "api_key":
            values.append(unquote(value.replace("+", " ")))
    return values, ok


def _may_forward_with(stack: Stack, case: Case) -> str | None:
    """The key label a forwarded request must have authenticated as, or None if it must not."""
    values, ok = _auth_values(case)
    if not values or not ok or len(set(values)) != 1 or values[0] not in stack.valid:
        return None
    label = stack.valid[values[0]]
    route = unquote(case.raw_path)
    read_only = case.method in ("GET", "HEAD", "OPTIONS") or (
        case.method == "POST" and route.endswith(READ_ONLY_POST_SUFFIXES)
    )
    if label == "read" and not read_only:
        return None
    return label


def send(stack: Stack, case: Case) -> tuple[Reply, list, str]:
    """Send ``case``; returns the reply, what MLflow received, and the new log lines."""
    seen, mark = len(stack.mlflow.seen), len(stack.logs.lines)
    reply = stack.run(
        asgi_call(
            stack.app,
            case.method,
            _bytes(case.raw_path),
            case.query.encode("latin-1"),
            case.headers,
            case.body,
        )
    )
    stack.statuses[reply.status] = stack.statuses.get(reply.status, 0) + 1
    return reply, stack.mlflow.seen[seen:], stack.logs.since(mark)


def check_case(stack: Stack, case: Case, name: str) -> tuple[Reply, list]:
    """The properties every request must satisfy (module docstring)."""
    FUZZ_CASES[name] += 1
    reply, forwarded, logs = send(stack, case)
    assert reply.status < 500, (reply.status, reply.body[:300], case)
    if reply.from_upstream:
        stack.forwarded += 1
        assert len(forwarded) == 1, forwarded
        label = _may_forward_with(stack, case)
        assert label is not None, f"forwarded although its credentials fail: {case}"
        upstream = forwarded[0]
        assert upstream.header("x-hokusai-key-id") == [stack.key_ids[label]], upstream.headers
        assert not upstream.header("authorization") and not upstream.header("x-api-key")
        assert b"".join(case.body) == upstream.body, "the body was altered on the way"
        seen_text = upstream.text()
        for secret in (*stack.secrets.values(), *(u for u in case.creds.used if len(u) >= 12)):
            assert secret not in seen_text, f"a credential reached MLflow: {upstream}"
    else:
        stack.refused += 1
        assert not forwarded, f"MLflow received a request the gateway refused: {forwarded}"
        assert_gateway_answer(reply, case)
        body = reply.body.decode("utf-8", "replace")
        for secret in stack.secrets.values():
            assert secret not in body, f"a key is in the error body: {body}"
    for secret in stack.secrets.values():
        assert secret not in logs, f"a key is in the logs: {logs}"
    return reply, forwarded


# ------------------------------------------------------------------------------ tests


def test_fuzz_requests_hold_every_property(stack):
    """Credentials in every style and number, any headers, paths, queries and bodies."""

    @PROFILE
    @given(case=cases(stack.secrets))
    def run(case):
        check_case(stack, case, "mixed requests")

    run()


def test_fuzz_credentials_on_real_routes(stack):
    """Real routes with their methods: every case reaches the auth decision."""

    @PROFILE
    @given(case=cases(stack.secrets, real=True))
    def run(case):
        check_case(stack, case, "credentials on real routes")

    run()


# What MLflow may be sent: its API, and the UI's page (``/``) and its paths.
API_OR_UI = (
    "/api/2.0/mlflow/", "/api/3.0/mlflow/", "/api/2.0/mlflow-artifacts/",
    "/ajax-api/2.0/mlflow/", "/ajax-api/3.0/mlflow/", "/ajax-api/2.0/mlflow-artifacts/",
    "/ajax-api/3.0/jobs/", "/static-files/", "/graphql", "/get-artifact",
    "/model-versions/get-artifact", "/version",
)  # fmt: skip


def _mounted(path: str) -> bool:
    return path.startswith(("/api/mlflow/api/", "/mlflow/api/", "/api/2.0/", "/api/3.0/"))


def test_fuzz_paths_never_escape_mlflow_api(stack):
    """Traversal and encoding tricks with a valid admin key: what MLflow gets is a clean API path."""

    @PROFILE
    @given(
        path=st.one_of(route_paths(adversarial=True), junk_paths), method=st.sampled_from(METHODS)
    )
    def run(path, method):
        headers = [(b"x-api-key", stack.secrets["admin"].encode())]
        case = Case(method, path, "", headers, [], Credentials(headers, [], []))
        reply, forwarded = check_case(stack, case, "adversarial paths")
        if reply.from_upstream:
            target = forwarded[0].target.split("?", 1)[0]
            decoded = target
            for _ in range(3):
                decoded = unquote(decoded)
            assert target == "/" or target.startswith(API_OR_UI), target
            assert not {".", ".."} & set(decoded.split("/")), target
            assert "\\" not in decoded and "\x00" not in decoded, target
            assert decoded == "/" or decoded.startswith(API_OR_UI), target

    run()


def test_fuzz_made_it_to_mlflow_often_enough(stack):
    """The fuzz is not vacuous: both sides of the auth decision were exercised."""
    total = stack.forwarded + stack.refused
    assert total > 0
    assert stack.forwarded >= max(10, total * 0.02), (
        stack.forwarded,
        stack.refused,
        stack.statuses,
    )
    assert stack.refused >= total * 0.2, (stack.forwarded, stack.refused, stack.statuses)


def test_metrics_after_fuzz_hold_no_key(stack):
    """Labels are route templates, fixed reasons and key ids: no key, and a bounded set."""
    reply = stack.run(asgi_call(stack.app, "GET", b"/metrics"))
    text = reply.body.decode()
    for secret in stack.secrets.values():
        assert not any(piece in text for piece in fragments(secret)), secret
    assert set(re.findall(r'key_id="([^"]*)"', text)) <= set(stack.key_ids.values())
    routes = set(re.findall(r'route="([^"]*)"', text))
    ajax = {"/ajax-api/" + t[len("/api/") :] for t in TEMPLATES}
    own = {"unmatched", "/metrics", "/health", "/ready", "/signin", "/signout"}
    assert routes <= {*TEMPLATES, *ajax, *UI_ROUTES, *own}, routes - set(TEMPLATES)


def test_fuzz_total_reaches_the_stress_target():
    if PROFILE_NAME != "stress":
        pytest.skip("the >= 10,000-case target applies to HYPOTHESIS_PROFILE=stress")
    assert sum(FUZZ_CASES.values()) >= STRESS_MIN_CASES, dict(FUZZ_CASES)


# ---------------------------------------------------- known bugs, found by these generators


def test_fuzz_no_piece_of_a_key_in_error_bodies(stack):
    """A key pasted without a scheme (or after a tab) must not be echoed, not even partly."""

    @NO_SHRINK
    @given(case=cases(stack.secrets, paths=route_paths().filter(_mounted)))
    def run(case):
        FUZZ_CASES["key fragments in error bodies"] += 1
        reply, _forwarded, _logs = send(stack, case)
        if not reply.from_upstream:
            body = reply.body.decode("utf-8", "replace")
            for secret in stack.secrets.values():
                leaked = [f for f in fragments(secret) if f in body]
                assert not leaked, f"{len(leaked) + 7} characters of a key in: {body}"

    run()


def test_fuzz_every_spelling_of_api_key_is_stripped(stack):
    """``api_key`` however percent-encoded never reaches MLflow (the gateway decodes names)."""
    names = ("api_key", "%61pi_key", "a%70i_key", "ap%69_key", "%61%70%69%5f%6b%65%79")

    @NO_SHRINK
    @given(name=st.sampled_from(names), path=route_paths().filter(_mounted))
    def run(name, path):
        FUZZ_CASES["api_key spellings"] += 1
        secret = stack.secrets["write"]
        headers = [(b"x-api-key", secret.encode())]
        case = Case("GET", path, f"{name}={secret}", headers, [], Credentials(headers, [], []))
        reply, forwarded, logs = send(stack, case)
        if reply.from_upstream:
            assert secret not in forwarded[0].target, forwarded[0].target
        assert secret not in logs

    run()


# ------------------------------------------------------------- the UI's session cookie

UI_PATHS = (
    "/", "/static-files/static/js/main.js", "/ajax-api/2.0/mlflow/runs/search",
    "/ajax-api/2.0/mlflow/experiments/create", "/ajax-api/2.0/mlflow/runs/update",
    "/graphql", "/signin", "/signout", "/version", "",
)  # fmt: skip
HOST = b"registry.test"
ORIGINS = {
    "none": [],
    "same": [(b"origin", b"http://" + HOST)],
    "same referer": [(b"referer", b"http://" + HOST + b"/api/mlflow/")],
    "cross": [(b"origin", b"https://evil.example")],
    "null": [(b"origin", b"null")],
}


@pytest.fixture(scope="module")
def sessions(stack) -> dict[str, str]:
    """label -> a session cookie value: valid ones for the read and write keys, and
    every kind the gateway must refuse (expired, revoked key, forged, oversized…)."""
    store, app = stack.app.store, stack.app
    by_id = {key.id: key for key in store.list()}
    made = {
        label: app.sessions.create(by_id[stack.key_ids[label]])[0]
        for label in ("read", "write", "revoked")
    }
    expired, _ = app.sessions.create(by_id[stack.key_ids["write"]])
    with store.engine.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE ui_sessions SET expires_at = '2000-01-01 00:00:00' WHERE token_hash = ?",
            (token_digest(expired),),
        )
    made["expired"] = expired
    made["forged"] = "A" * 43
    made["oversized"] = "A" * 10_000
    made["malformed"] = "not a token; x=1"
    return made


@st.composite
def session_cases(draw, cookies: dict[str, str]) -> tuple[Case, list[str]]:
    """A browser-like request: a UI path, a method, zero to two session cookies (of any
    kind), an Origin or Referer or none, other cookies around them."""
    valid = st.sampled_from(("read", "write"))
    labels = draw(
        st.one_of(valid.map(lambda v: [v]), st.lists(st.sampled_from(sorted(cookies)), max_size=2))
    )
    pairs = [f"hokusai_session={cookies[label]}" for label in labels]
    pairs += draw(st.lists(st.sampled_from(("theme=dark", "hokusai_csrf=x", "a=b")), max_size=2))
    pairs = draw(st.permutations(pairs)) if pairs else []
    headers = [(b"host", HOST), *ORIGINS[draw(st.sampled_from(sorted(ORIGINS)))]]
    if pairs:
        headers.append((b"cookie", "; ".join(pairs).encode()))
    if draw(st.booleans()):
        headers.append((b"accept", b"text/html"))
    path = draw(st.sampled_from(MOUNTS)) + draw(st.sampled_from(UI_PATHS))
    method = draw(st.sampled_from(METHODS))
    body = draw(bodies) if method not in ("GET", "HEAD") else []
    case = Case(method, path or "/", "", headers, body, Credentials([], [], []))
    return case, labels


def _may_forward_session(case: Case, labels: list[str]) -> bool:
    """The oracle: one valid session; a change only from the same origin, with write."""
    if len(labels) != 1 or labels[0] not in ("read", "write"):
        return False
    names = {name for name, _ in case.headers}
    same = (b"origin", b"http://" + HOST) in case.headers or (
        b"origin" not in names and b"referer" in names
    )
    if case.method not in ("GET", "HEAD", "OPTIONS") and not same:
        return False
    read_only = case.method in ("GET", "HEAD", "OPTIONS") or (
        case.method == "POST" and unquote(case.raw_path).endswith(READ_ONLY_POST_SUFFIXES)
    )
    return read_only or labels[0] == "write"


def test_fuzz_ui_session_cookies_hold_every_property(stack, sessions):
    """Missing, forged, expired, revoked, oversized and duplicated session cookies and
    cross-site requests: a 401, 403 or the sign-in page, never 5xx, never forwarded;
    a valid session reaches MLflow without its cookie; no token or key in any log."""

    outcomes = {"forwarded": 0, "refused": 0}

    @PROFILE
    @given(drawn=session_cases(sessions))
    def run(drawn):
        case, labels = drawn
        FUZZ_CASES["UI session cookies"] += 1
        reply, forwarded, logs = send(stack, case)
        assert reply.status < 500, (reply.status, reply.body[:300], case)
        outcomes["forwarded" if reply.from_upstream else "refused"] += 1
        if reply.from_upstream:
            stack.forwarded += 1
            assert _may_forward_session(case, labels), f"forwarded: {case}, {labels}"
            assert "hokusai_session" not in forwarded[0].text(), forwarded[0].headers
        else:
            stack.refused += 1
            assert not forwarded
            assert_gateway_answer(reply, case)
        for secret in (*sessions.values(), *stack.secrets.values()):
            if len(secret) >= 12:
                assert secret not in logs, "a session token or key is in the logs"
                assert secret.encode() not in reply.body

    run()
    assert min(outcomes.values()) >= 5, outcomes  # both sides of the decision were exercised
