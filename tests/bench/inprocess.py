"""In-process costs: ``KeyStore.verify``, the app plugin's own work per request, and
``register_tokenized_model`` vs raw MLflow calls."""

from __future__ import annotations

import asyncio
import logging
import os
import random
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

from hokusai.gateway.keys import KeyStore, api_keys, generate_secret, hash_key
from hokusai.gateway.settings import GatewaySettings


def key_verify(workdir: Path, keys: int, calls: int) -> dict[str, float]:
    """Per-call µs of ``verify()`` (SQLite lookup + hash) on a store holding ``keys`` keys."""
    store = KeyStore(f"sqlite:///{workdir / 'verify-keys.db'}")
    secrets = [generate_secret("live") for _ in range(keys)]
    created = datetime.now(UTC)
    rows = [
        {"id": f"key_{i:012d}", "name": f"bench-{i}", "key_hash": hash_key(s),
         "display_prefix": s[:12], "scopes": "read write", "created_at": created}
        for i, s in enumerate(secrets)
    ]  # fmt: skip
    with store.engine.begin() as conn:
        conn.execute(api_keys.insert(), rows)
    chosen = [random.choice(secrets) for _ in range(calls)]
    for secret in chosen[:200]:  # warm-up: statement cache, pool
        store.verify(secret)
    timings = []
    for secret in chosen:
        started = time.perf_counter()
        found = store.verify(secret)
        timings.append(time.perf_counter() - started)
        if found is None:
            raise RuntimeError("verify() did not find a stored key")
    started = time.perf_counter()
    for secret in chosen:
        hash_key(secret)
    hash_only = (time.perf_counter() - started) / calls
    timings.sort()
    return {
        "keys": keys,
        "calls": calls,
        "mean_us": statistics.fmean(timings) * 1e6,
        "p50_us": timings[len(timings) // 2] * 1e6,
        "p99_us": timings[int(len(timings) * 0.99)] * 1e6,
        "hash_only_us": hash_only * 1e6,
    }


# What the MLflow client sends (docs/contributing/mlflow-facts.md), plus a route of
# MLflow's FastAPI app, an unknown path and a wrong method: (path after the mount, method).
MATCHED_CALLS = (
    ("/api/2.0/mlflow/runs/log-metric", "POST"),
    ("/api/2.0/mlflow/runs/get", "GET"),
    ("/api/2.0/mlflow/logged-models/m-0123456789abcdef", "PATCH"),
    ("/api/2.0/mlflow/logged-models/m-0123456789abcdef/tags", "PATCH"),
    ("/api/2.0/mlflow-artifacts/artifacts/1/models/m-01/artifacts/MLmodel", "PUT"),
    ("/api/3.0/mlflow/server-info", "GET"),
    ("/gateway/chat/mlflow/invocations", "POST"),
    ("/api/2.0/mlflow/no-such-route", "GET"),
    ("/api/2.0/mlflow/runs/create", "GET"),
)


def route_match(calls: int) -> dict[str, float]:
    """µs per `RouteTable.match` of the shipped table, per call of `MATCHED_CALLS`
    (best of five rounds of ``calls``), and their mean."""
    from hokusai.gateway.routes import RouteTable, load_table

    table = RouteTable(load_table())
    per_call = {}
    for path, method in MATCHED_CALLS:
        rounds = []
        for _ in range(5):
            started = time.perf_counter()
            for _ in range(calls):
                table.match(path, method)
            rounds.append((time.perf_counter() - started) / calls * 1e6)
        per_call[f"{method} {path}"] = min(rounds)
    return {
        "routes": len(table.routes),
        "mean_us": statistics.fmean(per_call.values()),
        "max_us": max(per_call.values()),
        "per_call_us": per_call,
    }


def plugin_overhead(workdir: Path, calls: int) -> dict[str, float]:
    """CPU µs per request that the app plugin (the rules core around MLflow's app) adds
    around a no-op ASGI app, in this process: ``GET experiments/get`` with an
    ``X-API-Key``, the JSON access line formatted and written to /dev/null. The rules'
    share of MLflow's CPU, without MLflow's own noise (uvicorn's work is the same with or
    without the plugin)."""
    from hokusai.gateway.access_log import JsonFormatter
    from hokusai.gateway.core import Gateway
    from hokusai.gateway.responses import send_json

    store = KeyStore(f"sqlite:///{workdir / 'plugin-keys.db'}")
    _key, secret = store.create("bench", ("read",))

    async def noop(scope, receive, send) -> None:
        await send_json(send, 200, {"experiment": {}})

    app = Gateway(noop, GatewaySettings(db_url=store.url), store)
    path = "/api/mlflow/api/2.0/mlflow/experiments/get"
    headers = [(b"host", b"127.0.0.1:5000"), (b"user-agent", b"mlflow-python-client/3.17.2"),
               (b"accept", b"*/*"), (b"x-api-key", secret.encode())]  # fmt: skip

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message) -> None:
        pass

    async def serve(target, n: int) -> tuple[float, float]:
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(n):
            scope = {"type": "http", "http_version": "1.1", "method": "GET", "scheme": "http",
                     "path": path, "raw_path": path.encode(), "query_string": b"experiment_id=0",
                     "root_path": "", "headers": list(headers), "client": ("127.0.0.1", 40000),
                     "server": ("127.0.0.1", 5000)}  # fmt: skip
            await target(scope, receive, send)
        return time.process_time() - cpu, time.perf_counter() - wall

    logger = logging.getLogger("hokusai")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    with open(os.devnull, "w") as devnull:
        handler = logging.StreamHandler(devnull)
        handler.setFormatter(JsonFormatter())
        logger.handlers[:] = [handler]
        logger.setLevel(logging.INFO)
        logger.propagate = False
        try:

            async def measure() -> dict[str, float]:
                await serve(app, 500)  # warm-up: statement cache, metrics children
                plugin_cpu, plugin_wall = await serve(app, calls)
                bare_cpu, bare_wall = await serve(noop, calls)
                logger.setLevel(logging.WARNING)  # access log off: rules + metrics only
                quiet_cpu, _ = await serve(app, calls)
                return {
                    "calls": calls,
                    "cpu_us": (plugin_cpu - bare_cpu) / calls * 1e6,
                    "wall_us": (plugin_wall - bare_wall) / calls * 1e6,
                    "cpu_us_without_access_log": (quiet_cpu - bare_cpu) / calls * 1e6,
                }

            return asyncio.run(measure())
        finally:
            logger.handlers[:], logger.level, logger.propagate = saved
            store.close()


def register_vs_raw(
    tracking_uri: str, api_key: str, repeats: int, requests: Callable[[], float | None]
) -> dict[str, float | None]:
    """Median seconds of ``register_tokenized_model`` vs create_registered_model +
    create_model_version with the same tags, alternated, each on a new model name.

    ``requests()`` reads the gateway's request counter, to report HTTP calls per call.
    The variables it sets are undone after: the bench's later steps (the pages it
    re-checks) run with this process's environment.
    """
    settings = {
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1",
        "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "0",
        "MLFLOW_TRACKING_TOKEN": api_key,  # the raw client's credential (Bearer)
    }
    with mock.patch.dict(os.environ, settings):
        return _register_vs_raw(tracking_uri, api_key, repeats, requests)


def _register_vs_raw(
    tracking_uri: str, api_key: str, repeats: int, requests: Callable[[], float | None]
) -> dict[str, float | None]:
    from mlflow import MlflowClient

    from hokusai import ModelRegistry
    from hokusai.core.results import TAG_BASELINE, TAG_METRIC, TAG_STATUS, TAG_TOKEN_ID

    # Quiet "Waiting up to 300 seconds for model version…" (mlflow sets its level on import).
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    registry = ModelRegistry(tracking_uri=tracking_uri, api_key=api_key)
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    tags = {TAG_TOKEN_ID: "bench-token", TAG_METRIC: "accuracy", TAG_BASELINE: "0.85",
            TAG_STATUS: "registered"}  # fmt: skip
    run = uuid.uuid4().hex[:8]

    def sdk(i: int) -> None:
        registry.register_tokenized_model(
            f"s3://bench/{run}/sdk-{i}", f"bench-sdk-{run}-{i}", "bench-token", "accuracy", 0.85
        )

    def raw(i: int) -> None:
        name = f"bench-raw-{run}-{i}"
        client.create_registered_model(name)
        client.create_model_version(name, f"s3://bench/{run}/raw-{i}", tags=tags)

    sdk(-1)  # warm-up both paths (imports, connection pool)
    raw(-1)
    times: dict[str, list[float]] = {"sdk": [], "raw": []}
    calls: dict[str, float | None] = {"sdk": 0.0, "raw": 0.0}
    for i in range(repeats):
        pairs = [("sdk", sdk), ("raw", raw)]
        for label, call in pairs if i % 2 else pairs[::-1]:
            before = requests()
            started = time.perf_counter()
            call(i)
            times[label].append(time.perf_counter() - started)
            after = requests()
            if before is None or after is None or calls[label] is None:
                calls[label] = None
            else:
                calls[label] += after - before
    return {
        "repeats": repeats,
        "sdk_median_s": statistics.median(times["sdk"]),
        "raw_median_s": statistics.median(times["raw"]),
        "sdk_http_calls": None if calls["sdk"] is None else calls["sdk"] / repeats,
        "raw_http_calls": None if calls["raw"] is None else calls["raw"] / repeats,
    }
