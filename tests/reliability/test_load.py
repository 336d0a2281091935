"""Load (stress only: ``HOKUSAI_STRESS=1``, e.g. ``nox -s stress``).

64 concurrent clients for 60 s through the session registry's gateway, each on its own
keep-alive connection, mixing reads (searches, gets), metric logging and model
registrations. Every answer must be a 200. The gateway process (``hokusai local up``)
is sampled every second: its open file descriptors and RSS over the last 10 s must not
exceed those of the first 10 s (small slack for allocator noise). Figures are printed
in the "reliability figures" section. ``HOKUSAI_LOAD_CLIENTS`` / ``HOKUSAI_LOAD_SECONDS``
override 64 / 60 for quick local runs.
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.reliability._profiles import FIGURES, STRESS

pytestmark = pytest.mark.skipif(
    not STRESS, reason="load test: set HOKUSAI_STRESS=1 (nox -s stress)"
)

CLIENTS = int(os.environ.get("HOKUSAI_LOAD_CLIENTS", "64"))
SECONDS = float(os.environ.get("HOKUSAI_LOAD_SECONDS", "60"))
WINDOW = 10.0
FD_SLACK = 16
RSS_SLACK = 1.10
MiB = 1 << 20


def fd_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


class Client:
    """One user on one keep-alive connection."""

    def __init__(self, registry, index: int, experiment_id: str) -> None:
        self.host = registry.url.split("://", 1)[1]
        self.prefix = "/api/mlflow/api/2.0/mlflow"
        self.headers = {"X-API-Key": registry.api_key, "Content-Type": "application/json"}
        self.index = index
        self.experiment_id = experiment_id
        self.conn = http.client.HTTPConnection(self.host, timeout=60)
        self.outcomes: Counter[str] = Counter()
        self.latencies: list[float] = []
        self.versions = 0
        self.samples: dict[str, str] = {}  # first error body per kind

    def call(self, method: str, path: str, body: dict | None = None, query: str = "") -> dict:
        payload = json.dumps(body).encode() if body is not None else None
        target = self.prefix + path + (("?" + query) if query else "")
        started = time.perf_counter()
        try:
            self.conn.request(method, target, payload, self.headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.conn.close()
            self.conn = http.client.HTTPConnection(self.host, timeout=60)
            self.outcomes[f"{path}: {type(exc).__name__}"] += 1
            return {}
        self.latencies.append(time.perf_counter() - started)
        if response.status != 200:
            code = ""
            try:
                code = json.loads(data).get("error_code", "")
            except ValueError:
                code = data[:60].decode("latin-1")
            self.outcomes[f"{path}: {response.status} {code}"] += 1
            self.samples.setdefault(f"{path}: {response.status}", data[:300].decode("latin-1"))
            return {}
        self.outcomes["ok"] += 1
        return json.loads(data) if data else {}

    def run(self, until: float) -> None:
        run = self.call("POST", "/runs/create", {"experiment_id": self.experiment_id})
        run_id = run.get("run", {}).get("info", {}).get("run_id", "")
        model = f"load-{os.getpid()}-{self.index}-{time.time_ns()}"
        self.call("POST", "/registered-models/create", {"name": model})
        step = 0
        while time.monotonic() < until:
            step += 1
            kind = step % 10
            if kind in (0, 1, 2, 3, 4, 5):
                reads = (
                    ("POST", "/experiments/search", {"max_results": 5}, ""),
                    ("GET", "/experiments/get", None, f"experiment_id={self.experiment_id}"),
                    ("GET", "/runs/get", None, f"run_id={run_id}"),
                    ("GET", "/registered-models/get", None, f"name={model}"),
                )
                method, path, body, query = reads[step % len(reads)]
                self.call(method, path, body, query)
            elif kind in (6, 7, 8):
                metric = {
                    "run_id": run_id,
                    "key": "loss",
                    "value": 1.0 / step,
                    "timestamp": int(time.time() * 1000),
                    "step": step,
                }
                self.call("POST", "/runs/log-metric", metric)
            else:
                version = self.call(
                    "POST", "/model-versions/create",
                    {"name": model, "source": f"s3://load/{model}/{step}", "run_id": run_id,
                     "tags": [{"key": "hokusai_token_id", "value": "LOAD"}]},
                )  # fmt: skip
                self.versions += bool(version)
        self.conn.close()


def test_64_clients_for_60_s_no_errors_no_fd_or_rss_growth(local_registry):
    pid = local_registry.process.pid
    setup = Client(local_registry, -1, "0")
    experiment = setup.call("POST", "/experiments/create", {"name": f"load-{time.time_ns()}"})
    experiment_id = experiment["experiment_id"]
    clients = [Client(local_registry, i, experiment_id) for i in range(CLIENTS)]

    samples: list[tuple[float, int, int]] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(1.0):
            samples.append((time.monotonic(), fd_count(pid), rss(pid)))

    started = time.monotonic()
    until = started + SECONDS
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    threads = [threading.Thread(target=c.run, args=(until,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(SECONDS + 120)
    stop.set()
    sampler.join()
    elapsed = time.monotonic() - started

    outcomes = sum((c.outcomes for c in clients), Counter())
    latencies = sorted(x for c in clients for x in c.latencies)
    first = [s for s in samples if s[0] - started <= WINDOW]
    last = [s for s in samples if s[0] >= until - WINDOW]
    fd_first, fd_last = max(s[1] for s in first), max(s[1] for s in last)
    rss_first, rss_last = max(s[2] for s in first), max(s[2] for s in last)
    errors = {k: v for k, v in outcomes.items() if k != "ok"}
    FIGURES.extend(
        [
            f"load: {CLIENTS} clients x {elapsed:.0f} s: {outcomes['ok']} ok, "
            f"{sum(errors.values())} errors, {outcomes['ok'] / elapsed:.0f} req/s, "
            f"{sum(c.versions for c in clients)} versions registered",
            f"load latency: p50 {statistics.median(latencies) * 1000:.0f} ms, "
            f"p99 {latencies[int(len(latencies) * 0.99)] * 1000:.0f} ms, "
            f"max {latencies[-1] * 1000:.0f} ms",
            f"load gateway fds: first 10 s max {fd_first}, last 10 s max {fd_last}",
            f"load gateway RSS: first 10 s max {rss_first / MiB:.1f} MiB, "
            f"last 10 s max {rss_last / MiB:.1f} MiB",
        ]
    )
    if errors:
        FIGURES.append(f"load errors: {errors}")
        samples = {k: v for c in clients for k, v in c.samples.items()}
        FIGURES.extend(f"load error sample {k}: {v}" for k, v in sorted(samples.items()))
    assert not errors, errors
    assert fd_last <= fd_first + FD_SLACK, (fd_first, fd_last)
    assert rss_last <= rss_first * RSS_SLACK, (rss_first, rss_last)
