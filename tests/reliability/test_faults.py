"""Faults: MLflow killed, slow or restarted; the key store read-only or locked; a
registration broken half-way. Each test asserts what the user sees and that the
system recovers by itself.

A dedicated ``mlflow server`` (this module's, never the session registry) starts in
the background as soon as the module begins, while the tests that need no MLflow run.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from aiohttp import ClientSession, ClientTimeout, web

from hokusai.local import MlflowServer, free_port
from tests.reliability._support import MLFLOW_ERROR_CODES
from tests.support.client import request
from tests.support.fake_mlflow import FakeMlflow
from tests.support.servers import ThreadedGateway

API = "/api/mlflow/api/2.0/mlflow"
SEARCH = API + "/experiments/search"
ARTIFACTS = "/api/mlflow/api/2.0/mlflow-artifacts/artifacts/0/reliability/artifacts"
MiB = 1 << 20
JSON = {"Content-Type": "application/json"}
ONE = b'{"max_results": 1}'  # MLflow refuses a search without max_results
FAST_FAIL = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "MLFLOW_HTTP_REQUEST_TIMEOUT": "20"}


def error_of(answer, statuses) -> dict:
    assert answer.status in statuses, (answer.status, answer.body[:300])
    assert answer.header("content-type")[0].startswith("application/json"), answer.body[:300]
    payload = answer.json()
    assert payload["error_code"] in MLFLOW_ERROR_CODES and payload["message"], payload
    return payload


# ------------------------------------------------------------------ the module's MLflow


class Mlflow:
    """This module's ``mlflow server``: started at once, waited for on first use."""

    def __init__(self, data_dir: Path) -> None:
        self.server = MlflowServer(data_dir)
        self.server.start()
        self._ready = False

    @property
    def url(self) -> str:
        return self.server.url

    def ready(self) -> Mlflow:
        if not self._ready:
            self.server.wait_ready(240)
            self._ready = True
        return self

    def kill(self) -> None:
        """SIGKILL the whole process group (a crash, not a shutdown)."""
        os.killpg(self.server.process.pid, signal.SIGKILL)
        self.server.process.wait(10)
        self._ready = False

    def restart(self) -> None:
        self.server.stop()
        self.server.start()
        self._ready = False
        self.ready()


@pytest.fixture(scope="module", autouse=True)
def mlflow(tmp_path_factory):
    server = Mlflow(tmp_path_factory.mktemp("faults-mlflow"))
    yield server
    server.server.stop()


@pytest.fixture(scope="module")
def gateway(mlflow):
    with ThreadedGateway(mlflow.url, connect_timeout=2.0) as gw:
        yield gw


@pytest.fixture(scope="module")
def secret(gateway) -> str:
    return gateway.key("read", "write")[1]


# ------------------------------------------------------------------ the fake MLflow


def test_slow_mlflow_beyond_the_timeout_is_a_clear_504_and_others_are_not_held_up():
    # a delay well past the 1 s read timeout
    with FakeMlflow(delay=5.0) as slow, ThreadedGateway(slow.url, read_timeout=1.0) as gw:
        _, key = gw.key("read")
        with ThreadPoolExecutor(4) as pool:
            started = time.monotonic()
            stuck = [
                pool.submit(
                    request,
                    gw.url,
                    "GET",
                    f"{API}/experiments/get?experiment_id=slow",
                    {"X-API-Key": key},
                )
                for _ in range(3)
            ]
            time.sleep(0.2)
            fast = request(gw.url, "POST", SEARCH, {"X-API-Key": key, **JSON}, ONE)
            fast_took = time.monotonic() - started
            answers = [f.result(30) for f in stuck]
        took = time.monotonic() - started
        assert fast.status == 200 and fast_took < 1.0, (fast.status, fast_took)
        for answer in answers:
            payload = error_of(answer, {504})
            assert payload["error_code"] == "DEADLINE_EXCEEDED"
            assert "did not answer in time" in payload["message"]
        assert took < 10, f"the 1 s timeout took {took:.1f} s"


def test_pooled_connections_survive_an_instant_upstream_restart():
    """MLflow back within the pool's keep-alive: no request may fail on a stale connection."""
    with (
        FakeMlflow(timeout_keep_alive=75) as fake,  # only the restarts end connections
        ThreadedGateway(fake.url, keepalive_timeout=30.0) as gw,
    ):
        _, key = gw.key("read", "write")
        headers = {"X-API-Key": key}

        def burst(generation: int) -> None:
            with ThreadPoolExecutor(8) as pool:
                calls = [
                    pool.submit(request, gw.url, "PUT", f"{ARTIFACTS}/f{i}", headers, b"x" * 5000)
                    if i % 2
                    else pool.submit(request, gw.url, "POST", SEARCH, headers, ONE)
                    for i in range(16)
                ]
                answers = [c.result(30) for c in calls]
            assert [a.status for a in answers] == [200] * 16, [a.body for a in answers]
            assert {a.json()["generation"] for a in answers} == {generation}

        burst(1)  # the pool now holds up to 8 idle keep-alive connections
        for generation in (2, 3):
            fake.stop()
            fake.start()
            burst(generation)


# ------------------------------------------------------------------ key store faults


def _keys_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hokusai", "keys", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_read_only_key_store_still_authenticates(tmp_path, secret):
    """A store mounted read-only (e.g. a replica): verification only reads, so it serves."""
    db = tmp_path / "keys.db"
    with FakeMlflow() as fake:
        with ThreadedGateway(fake.url, f"sqlite:///{db}") as writable:
            _, key = writable.key("read")
        with ThreadedGateway(fake.url, f"sqlite:///file:{db}?mode=ro&uri=true") as gw:
            assert request(gw.url, "POST", SEARCH, {"X-API-Key": key, **JSON}, ONE).status == 200
            answer = request(gw.url, "POST", SEARCH, {"X-API-Key": "hk_live_" + "N" * 32}, b"{}")
            assert error_of(answer, {401})["error_code"] == "UNAUTHENTICATED"


def test_keys_cli_on_a_read_only_store_says_so_without_a_traceback(tmp_path):
    db = tmp_path / "keys.db"
    assert _keys_cli("create", "--name", "setup", "--db", f"sqlite:///{db}").returncode == 0
    result = _keys_cli("create", "--name", "x", "--db", f"sqlite:///file:{db}?mode=ro&uri=true")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert "read-only" in result.stderr.lower() or "readonly" in result.stderr.lower()


@pytest.fixture
def locked_store(tmp_path):
    """(fake MLflow, gateway, read key, a connection holding the key store's write lock)."""
    db = tmp_path / "keys.db"
    with FakeMlflow() as fake, ThreadedGateway(fake.url, f"sqlite:///{db}") as gw:
        _, key = gw.key("read")
        holder = sqlite3.connect(db, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")  # another process writing, e.g. a migration
        try:
            yield fake, gw, key, holder
        finally:
            holder.close()


def test_a_locked_key_store_is_a_clear_503_not_a_traceback(locked_store):
    fake, gw, key, _holder = locked_store
    mark = len(fake.seen)
    answer = request(gw.url, "POST", SEARCH, {"X-API-Key": key, **JSON}, ONE, timeout=30)
    assert len(fake.seen) == mark
    payload = error_of(answer, {503})
    assert payload["error_code"] == "TEMPORARILY_UNAVAILABLE"
    assert "key store" in payload["message"]


def test_the_gateway_recovers_once_the_key_store_is_unlocked(locked_store):
    _fake, gw, key, holder = locked_store
    # whatever the answer while locked (see the test above), it must not stick
    with contextlib.suppress(ConnectionError, OSError):
        request(gw.url, "POST", SEARCH, {"X-API-Key": key, **JSON}, ONE, timeout=30)
    holder.execute("ROLLBACK")
    assert request(gw.url, "POST", SEARCH, {"X-API-Key": key, **JSON}, ONE).status == 200
    assert request(gw.url, "GET", "/ready").status == 200


# ------------------------------------------------------------------ real MLflow faults


def _upload(gw_url: str, key: str, name: str, chunks) -> object:
    return request(gw_url, "PUT", f"{ARTIFACTS}/{name}", {"X-API-Key": key}, chunks, timeout=60)


def test_mlflow_killed_during_an_upload_then_back(mlflow, gateway, secret):
    mlflow.ready()
    assert _upload(gateway.url, secret, "before.bin", [b"a" * MiB]).status == 200

    def body():
        for i in range(64):
            yield b"b" * (256 * 1024)
            if i == 16:  # 4 MiB in: MLflow crashes
                mlflow.kill()
                time.sleep(0.5)

    try:
        answer = _upload(gateway.url, secret, "during.bin", body())
    except (BrokenPipeError, ConnectionResetError) as exc:
        pytest.fail(f"the client got a broken connection, not an MLflow-shaped error: {exc!r}")
    payload = error_of(answer, {502, 503})
    assert payload["error_code"] == "TEMPORARILY_UNAVAILABLE"
    assert "MLflow server" in payload["message"]

    # while it is down: fast, clear 503s, and /ready says why
    started = time.monotonic()
    down = request(gateway.url, "POST", SEARCH, {"X-API-Key": secret, **JSON}, ONE)
    assert error_of(down, {503})["error_code"] == "TEMPORARILY_UNAVAILABLE"
    assert time.monotonic() - started < 5
    ready = request(gateway.url, "GET", "/ready")
    assert ready.status == 503 and ready.json()["checks"]["mlflow"] != "ok"

    mlflow.restart()  # same port, same data
    assert request(gateway.url, "POST", SEARCH, {"X-API-Key": secret, **JSON}, ONE).status == 200
    assert _upload(gateway.url, secret, "after.bin", [b"c" * MiB]).status == 200
    back = request(gateway.url, "GET", f"{ARTIFACTS}/after.bin", {"X-API-Key": secret})
    assert back.status == 200 and back.body == b"c" * MiB
    assert request(gateway.url, "GET", "/ready").status == 200


def test_mlflow_restarted_between_calls_needs_no_gateway_restart(mlflow, gateway, secret):
    mlflow.ready()
    headers = {"X-API-Key": secret, **JSON}
    with ThreadPoolExecutor(6) as pool:  # warm the pool with several connections
        warm = list(
            pool.map(lambda _: request(gateway.url, "POST", SEARCH, headers, ONE), range(12))
        )
    assert {a.status for a in warm} == {200}
    mlflow.restart()
    first = [
        request(gateway.url, "POST", SEARCH, headers, ONE),
        _upload(gateway.url, secret, "restart.bin", [b"d" * 1000]),
        request(
            gateway.url, "POST", API + "/experiments/create", headers,
            json.dumps({"name": f"after-restart-{time.time_ns()}"}).encode(),
        ),
    ]  # fmt: skip
    assert [a.status for a in first] == [200, 200, 200], [a.body[:200] for a in first]


# ------------------------------------------------------------------ registration half-way


class FaultProxy:
    """Between the gateway and MLflow: forwards everything, except that it can break a route.

    ``break_(method, fragment, mode, times)``: ``mode="refuse"`` answers 503 without
    forwarding; ``mode="lose"`` forwards (MLflow does the work) and then answers 502 as if
    the connection broke on the way back.
    """

    def __init__(self, target: str) -> None:
        self.target = target
        self.port = free_port()
        self.rules: list[dict] = []
        self.log: list[tuple[str, str, int]] = []
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(30)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def break_(self, method: str, fragment: str, mode: str, times: int = 1_000) -> None:
        self.rules.append({"method": method, "fragment": fragment, "mode": mode, "times": times})

    def heal(self) -> None:
        self.rules.clear()

    async def _start(self) -> None:
        self.session = ClientSession(timeout=ClientTimeout(total=60), auto_decompress=False)
        app = web.Application(client_max_size=0)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def _handle(self, request: web.Request) -> web.Response:
        rule = next(
            (
                r
                for r in self.rules
                if r["times"] > 0
                and r["method"] == request.method
                and r["fragment"] in request.raw_path
            ),
            None,
        )
        if rule is not None:
            rule["times"] -= 1
        if rule is not None and rule["mode"] == "refuse":
            self.log.append((request.method, request.raw_path, 503))
            return web.json_response(
                {"error_code": "TEMPORARILY_UNAVAILABLE", "message": "fault"}, status=503
            )
        body = await request.read()
        headers = {
            k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")
        }
        async with self.session.request(
            request.method, self.target + request.raw_path, headers=headers, data=body
        ) as upstream:
            payload = await upstream.read()
            status = upstream.status
        if rule is not None and rule["mode"] == "lose":
            self.log.append((request.method, request.raw_path, 502))
            return web.json_response(
                {"error_code": "TEMPORARILY_UNAVAILABLE", "message": "lost"}, status=502
            )
        self.log.append((request.method, request.raw_path, status))
        return web.Response(body=payload, status=status, content_type="application/json")

    def close(self) -> None:
        async def stop():
            await self.session.close()
            await self.runner.cleanup()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)


@pytest.fixture(scope="module")
def faulty(mlflow, tmp_path_factory):
    """(proxy, gateway in front of the proxy, key)."""
    mlflow.ready()
    proxy = FaultProxy(mlflow.url)
    with ThreadedGateway(proxy.url) as gw:
        _, key = gw.key("read", "write")
        yield proxy, gw, key
    proxy.close()


@pytest.fixture
def registry(faulty, monkeypatch):
    from hokusai import ModelRegistry

    for name, value in FAST_FAIL.items():
        monkeypatch.setenv(name, value)
    _proxy, gw, key = faulty
    return ModelRegistry(tracking_uri=gw.url + "/api/mlflow", api_key=key)


def _versions(mlflow: Mlflow, name: str) -> list:
    """The versions of ``name`` straight from MLflow (not through the faulty path)."""
    import mlflow as mlflow_module

    client = mlflow_module.MlflowClient(tracking_uri=mlflow.url, registry_uri=mlflow.url)
    return list(client.search_model_versions(f"name = '{name}'"))


SOURCE = "s3://hokusai-reliability/models/{}"


def test_a_baseline_whose_alias_cannot_be_set_leaves_no_version(mlflow, faulty, registry):
    from hokusai.errors import HokusaiError

    proxy, _gw, _key = faulty
    name = f"half-{time.time_ns()}"
    proxy.break_("POST", "/registered-models/alias", "refuse")
    try:
        with pytest.raises(HokusaiError) as caught:
            registry.register_baseline(SOURCE.format(name), name, "accuracy", 0.8, token_id="HALF")
    finally:
        proxy.heal()
    assert "deleted again" in str(caught.value) or "nothing is half-registered" in str(caught.value)
    assert _versions(mlflow, name) == [], "a half-registered version was left behind"
    # and a retry, with MLflow healthy again, registers exactly one version
    again = registry.register_baseline(SOURCE.format(name), name, "accuracy", 0.8, token_id="HALF")
    assert [v.version for v in _versions(mlflow, name)] == [again.version]
    assert "baseline" in again.aliases


def test_a_registration_refused_half_way_is_retried_into_exactly_one_version(
    mlflow, faulty, registry
):
    from hokusai.errors import HokusaiError

    proxy, _gw, _key = faulty
    name = f"refused-{time.time_ns()}"
    proxy.break_("POST", "/model-versions/create", "refuse")
    try:
        with pytest.raises(HokusaiError):
            registry.register_tokenized_model(SOURCE.format(name), name, "TOK-1", "accuracy", 0.5)
    finally:
        proxy.heal()
    assert _versions(mlflow, name) == []
    model = registry.register_tokenized_model(SOURCE.format(name), name, "TOK-1", "accuracy", 0.5)
    again = registry.register_tokenized_model(SOURCE.format(name), name, "TOK-1", "accuracy", 0.5)
    assert model.version == again.version
    assert [v.version for v in _versions(mlflow, name)] == [model.version]


def test_a_lost_create_response_never_leaves_a_duplicate_or_untagged_version(
    mlflow, faulty, registry, monkeypatch
):
    """MLflow created the version but the answer was lost; the client retries (as the SDK
    lets it, once). Afterwards: one version, fully tagged, and a retry returns it."""
    from hokusai.errors import HokusaiError

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "0")
    proxy, _gw, _key = faulty
    name = f"lost-{time.time_ns()}"
    proxy.break_("POST", "/model-versions/create", "lose", times=1)
    try:
        # failing loudly is fine; what is left behind is what matters
        with contextlib.suppress(HokusaiError):
            registry.register_tokenized_model(SOURCE.format(name), name, "TOK-2", "accuracy", 0.5)
    finally:
        proxy.heal()
    versions = _versions(mlflow, name)
    assert all(v.tags.get("hokusai_token_id") == "TOK-2" for v in versions), [
        v.tags for v in versions
    ]
    assert len(versions) == 1, f"{len(versions)} versions registered for one call: {versions}"
