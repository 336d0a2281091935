"""Benchmarks of the gateway against direct MLflow and nginx: ``nox -s bench``.

Run from the repository root::

    python -m tests.bench.run [--quick] [--json PATH] [--markdown PATH] [--doctest-seconds S]

Starts MLflow, the gateway (``hokusai gateway serve``, a subprocess so /proc shows its
CPU and memory), nginx (when installed) and a second MLflow running the gateway's rules
in process (``mlflow server --app-name hokusai``) in a temporary directory, measures
them side by side, prints a markdown table and writes it as JSON and to
docs/performance/latest.md.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import shutil
import sys
import tempfile
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from hokusai.local import free_port
from tests.bench import procstat, recheck
from tests.bench.artifacts import transfer
from tests.bench.inprocess import key_verify, plugin_overhead, register_vs_raw, route_match
from tests.bench.load import (
    Maker,
    client_ceiling,
    interleaved_latency,
    percentile,
    rotated_throughput,
)
from tests.bench.rawhttp import Target, new_loop
from tests.bench.report import document, machine, machine_line, write_json
from tests.bench.servers import NGINX_MISSING, Stack
from tests.bench.sessions import describe as describe_sessions
from tests.bench.sessions import session_vs_key
from tests.bench.table import build_rows

ROOT = Path(__file__).resolve().parents[2]
GET_PATH = "/api/2.0/mlflow/experiments/get?experiment_id=0"
LOG_METRIC_PATH = "/api/2.0/mlflow/runs/log-metric"
# One counter for the whole run: a (key, timestamp, step, value) MLflow already has is a
# duplicate, which MLflow answers without writing (cheaper), so steps never repeat.
STEPS = itertools.count()


@dataclass(frozen=True)
class Plan:
    latency_rounds_1: int  # requests per target with one client
    latency_rounds_64: int  # requests per target per client with 64 clients
    throughput_rounds: int
    throughput_seconds: float
    artifact_bytes: int
    artifact_rounds: int
    sdk_repeats: int
    verify_keys: int = 1000
    verify_calls: int = 10_000


QUICK = Plan(150, 3, 2, 2.0, 128 << 20, 1, 5)
FULL = Plan(400, 8, 4, 3.0, 1 << 30, 1, 11)


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def targets_of(stack: Stack) -> list[Target]:
    key = (("X-API-Key", stack.api_key),)
    targets = [
        Target("gateway", "127.0.0.1", stack.gateway_port, "/api/mlflow", key),
        Target("inprocess", "127.0.0.1", stack.inprocess.port, "/api/mlflow", key),
        Target("direct", "127.0.0.1", stack.mlflow.port),
    ]
    if stack.has_nginx:
        targets.append(Target("nginx", "127.0.0.1", stack.nginx_port))
    return targets


def create_run(base_url: str, headers: dict[str, str] | None = None) -> str:
    request = urllib.request.Request(
        base_url + "/api/2.0/mlflow/runs/create",
        data=json.dumps({"experiment_id": "0", "run_name": "bench"}).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["run"]["info"]["run_id"]


def run_ids_of(stack: Stack, targets: list[Target]) -> dict[str, str]:
    """A run to log metrics to, per target: the plugin's MLflow has a database of its own."""
    plain = create_run(stack.mlflow.url)
    inprocess = create_run(stack.inprocess.url + "/api/mlflow", {"X-API-Key": stack.api_key})
    return {t.name: inprocess if t.name == "inprocess" else plain for t in targets}


def makers(targets: list[Target], endpoint: str, run_ids: dict[str, str]) -> dict[str, Maker]:
    if endpoint == "get":
        fixed = {t.name: t.request("GET", GET_PATH) for t in targets}
        return {name: (lambda raw=raw: raw) for name, raw in fixed.items()}

    def maker(target: Target) -> Maker:
        run_id = run_ids[target.name]

        def make() -> bytes:
            body = {"run_id": run_id, "key": "bench", "value": 1.0,
                    "timestamp": 1_700_000_000_000, "step": next(STEPS)}  # fmt: skip
            return target.request("POST", LOG_METRIC_PATH, json.dumps(body).encode())

        return make

    return {t.name: maker(t) for t in targets}


def cpu_pids(stack: Stack) -> dict[str, int]:
    pids = {"gateway": stack.gateway.pid}
    if stack.nginx is not None:
        pids["nginx"] = stack.nginx.pid
    return pids


def latency(stack: Stack, targets: list[Target], run_ids: dict[str, str], plan: Plan) -> dict:
    results: dict = {}
    for endpoint in ("get", "log-metric"):
        for clients, rounds in ((1, plan.latency_rounds_1), (64, plan.latency_rounds_64)):
            pids = cpu_pids(stack)
            before = {n: procstat.cpu_seconds(p, include_children=True) for n, p in pids.items()}
            samples = asyncio.run(
                interleaved_latency(targets, makers(targets, endpoint, run_ids), clients, rounds)
            )
            used = {n: procstat.cpu_seconds(p, True) - before[n] for n, p in pids.items()}
            phase = summarize(samples, clients, used)
            results[f"{endpoint}@{clients}"] = phase
            log(f"latency {endpoint} x{clients}: " + ", ".join(
                f"{n} p50 {v['p50_ms']:.2f} p99 {v['p99_ms']:.2f} ms" for n, v in phase.items()
            ))  # fmt: skip
    return results


def summarize(samples, clients: int, used: dict[str, float]) -> dict:
    """Per path: p50/p99, errors, reconnects and CPU ms per request (``used``: CPU
    seconds of the paths whose process is known)."""
    phase: dict = {}
    for name, values in samples.latencies.items():
        count = len(values) + clients  # + the warm-up request of each client
        phase[name] = {
            "n": len(values),
            "p50_ms": percentile(values, 50) * 1000,
            "p99_ms": percentile(values, 99) * 1000,
            "errors": samples.errors.get(name, 0),
            "reconnects": samples.reconnects.get(name, 0),
            "cpu_ms_per_request": used[name] / count * 1000 if name in used else None,
        }
    return phase


def inprocess_pair(
    stack: Stack, targets: list[Target], run_ids: dict[str, str], plan: Plan
) -> dict:
    """Plain MLflow against MLflow with the app plugin, requests alternating between the two
    only, so both serve the same requests at the same pace: latency of each, and MLflow's
    own CPU per request (the plugin has no process of its own to read).

    Each configuration first runs unmeasured (a third of its rounds): direct MLflow was
    warmed by the main latency phase, the plugin's MLflow was not."""
    pair = [t for t in targets if t.name in ("direct", "inprocess")]
    pids = {"direct": stack.mlflow.process.pid, "inprocess": stack.inprocess.process.pid}
    results: dict = {}
    for endpoint in ("get", "log-metric"):
        for clients, rounds in ((1, 2 * plan.latency_rounds_1), (64, 2 * plan.latency_rounds_64)):
            requests = makers(pair, endpoint, run_ids)
            asyncio.run(interleaved_latency(pair, requests, clients, max(1, rounds // 3)))
            before = {n: procstat.cpu_seconds(p, include_children=True) for n, p in pids.items()}
            samples = asyncio.run(interleaved_latency(pair, requests, clients, rounds))
            used = {n: procstat.cpu_seconds(p, True) - before[n] for n, p in pids.items()}
            phase = summarize(samples, clients, used)
            phase["extra_cpu_ms"] = (
                phase["inprocess"]["cpu_ms_per_request"] - phase["direct"]["cpu_ms_per_request"]
            )
            results[f"{endpoint}@{clients}"] = phase
            log(f"in-process vs direct, {endpoint} x{clients}: " + ", ".join(
                f"{n} p50 {phase[n]['p50_ms']:.2f} p99 {phase[n]['p99_ms']:.2f} ms, "
                f"MLflow CPU {phase[n]['cpu_ms_per_request']:.2f} ms/request"
                for n in ("inprocess", "direct")
            ))  # fmt: skip
    return results


def throughput(targets: list[Target], run_ids: dict[str, str], plan: Plan) -> dict:
    results = {}
    for clients in (1, 16, 64):
        rates = asyncio.run(
            rotated_throughput(
                targets, makers(targets, "get", run_ids), clients,
                plan.throughput_rounds, plan.throughput_seconds,
            )
        )  # fmt: skip
        results[str(clients)] = rates
        log(f"throughput x{clients}: " + ", ".join(f"{n} {r:.0f}/s" for n, r in rates.items()))
    return results


def artifacts(stack: Stack, targets: list[Target], size: int, rounds: int) -> list[dict]:
    """PUT then GET through every target, the order rotated each round."""
    done = []
    for round_ in range(rounds):
        order = targets[round_ % len(targets) :] + targets[: round_ % len(targets)]
        for direction in ("PUT", "GET"):
            for target in order:
                pid = stack.gateway.pid if target.name == "gateway" else None
                proxy = cpu_pids(stack).get(target.name)
                result = transfer(target, direction, f"{target.name}.bin", size, pid, proxy)
                if result.status != 200:
                    raise RuntimeError(f"{direction} via {target.name} answered {result.status}")
                done.append({**asdict(result), "mb_per_s": result.mb_per_s})
                log(
                    f"artifact {direction} {size >> 20} MiB via {target.name}: "
                    f"{result.mb_per_s:.0f} MB/s"
                )
    for server in (stack.mlflow, stack.inprocess):
        shutil.rmtree(server.data_dir / "artifacts" / "bench", ignore_errors=True)
    return done


def gateway_requests(stack: Stack) -> Callable[[], float | None]:
    """Reads the gateway's /metrics request counter (None if it has no such counter)."""
    url = f"http://127.0.0.1:{stack.gateway_port}/metrics"

    def count() -> float | None:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                text = response.read().decode()
        except OSError:
            return None
        values = [
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("hokusai_gateway_requests_total{") and "/metrics" not in line
        ]
        return sum(values) if values else None

    return count


def measure(stack: Stack, plan: Plan, workdir: Path) -> dict:
    targets = targets_of(stack)
    run_ids = run_ids_of(stack, targets)
    raw: dict = {"plan": asdict(plan), "nginx": stack.has_nginx, "inprocess": True}
    raw["client_ceiling_64"] = client_ceiling(free_port(), 64, 2.0)
    log(
        f"load client ceiling (fixed-answer server, 64 connections): {raw['client_ceiling_64']:.0f}/s"
    )
    proxies = [t for t in targets if t.name != "inprocess"]  # all three on the same MLflow
    raw["latency"] = latency(stack, proxies, run_ids, plan)
    raw["inprocess_pair"] = inprocess_pair(stack, targets, run_ids, plan)
    raw["throughput"] = throughput(targets, run_ids, plan)
    raw["artifacts"] = artifacts(stack, targets, plan.artifact_bytes, plan.artifact_rounds)
    raw["key_verify"] = key_verify(workdir, plan.verify_keys, plan.verify_calls)
    log(f"key verify: {raw['key_verify']['p50_us']:.0f} µs p50")
    raw["route_match"] = route_match(plan.verify_calls)
    log(f"route match: {raw['route_match']['mean_us']:.2f} µs mean per call")
    raw["session_check"] = session_vs_key(workdir, plan.verify_keys, plan.verify_calls)
    log(describe_sessions(raw["session_check"]))
    raw["plugin_overhead"] = plugin_overhead(workdir, plan.verify_calls)
    log(f"app plugin around a no-op app: {raw['plugin_overhead']['cpu_us']:.0f} µs CPU per request")
    gateway_uri = f"http://127.0.0.1:{stack.gateway_port}/api/mlflow"
    raw["register"] = register_vs_raw(
        gateway_uri, stack.api_key, plan.sdk_repeats, gateway_requests(stack)
    )
    log(f"register: {raw['register']}")
    return raw


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.run", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="fewer samples, 128 MiB artifact")
    parser.add_argument(
        "--json",
        type=Path,
        default=Path(tempfile.gettempdir()) / "hokusai-bench.json",
        help="JSON output",
    )
    parser.add_argument(
        "--markdown", default=str(ROOT / "docs" / "performance" / "latest.md"),
        help="where to write the table for the docs page ('' to skip)",
    )  # fmt: skip
    parser.add_argument(
        "--doctest-seconds", type=float, help="`nox -s doctest` wall time, if measured"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    new_loop()
    plan = QUICK if args.quick else FULL
    info = machine()
    log(machine_line(info))
    with tempfile.TemporaryDirectory(prefix="hokusai-bench-") as tmp:
        stack = Stack(Path(tmp))
        try:
            nginx = ", nginx" if shutil.which("nginx") else ""
            log(f"starting MLflow, gateway{nginx}, MLflow --app-name hokusai")
            stack.start()
            if not stack.has_nginx:
                print(NGINX_MISSING, flush=True)
            raw = measure(stack, plan, Path(tmp))
        except Exception:
            log(stack.log_tails())
            raise
        finally:
            stack.stop()
    raw["mode"] = "quick" if args.quick else "full"
    rows, notes = build_rows(raw, args.doctest_seconds)
    text = document(rows, info, notes)
    print(text)
    write_json(args.json, rows, info, raw)
    log(f"wrote {args.json}")
    if os.environ.get("HOKUSAI_BENCH_RECHECK", "1") != "0":  # one page re-checked, before/after
        recheck.main(["--repeats", "1" if args.quick else "3"])
    if args.markdown:
        path = Path(args.markdown)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        log(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
