"""Latency (requests interleaved across targets) and throughput (time slices, rotated)."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.bench.rawhttp import Connection, Target, now, serve_fixed

Maker = Callable[[], bytes]  # builds the next request (e.g. with a fresh step number)


@dataclass
class Samples:
    """Per-target latencies (seconds) and non-2xx answers."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    reconnects: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, seconds: float, status: int) -> None:
        self.latencies.setdefault(name, []).append(seconds)
        if not 200 <= status < 300:
            self.errors[name] = self.errors.get(name, 0) + 1


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def _open_all(targets: list[Target]) -> list[Connection]:
    return [await Connection.open(t.host, t.port) for t in targets]


async def interleaved_latency(
    targets: list[Target], requests: dict[str, Maker], clients: int, per_client: int
) -> Samples:
    """Each client holds one connection per target and alternates between them.

    The starting target rotates every round, so no target always goes first.
    """
    samples = Samples()

    async def client(index: int) -> None:
        conns = await _open_all(targets)
        try:
            for conn, target in zip(conns, targets, strict=True):  # warm-up, not recorded
                await conn.request(requests[target.name]())
            for round_ in range(per_client):
                for k in range(len(targets)):
                    j = (index + round_ + k) % len(targets)
                    started = now()
                    status, _ = await conns[j].request(requests[targets[j].name]())
                    samples.add(targets[j].name, now() - started, status)
        finally:
            for conn, target in zip(conns, targets, strict=True):
                samples.reconnects[target.name] = (
                    samples.reconnects.get(target.name, 0) + conn.reconnects
                )
                await conn.close()

    await asyncio.gather(*(client(i) for i in range(clients)))
    return samples


async def _run_slice(conns: list[Connection], request: Maker, seconds: float) -> tuple[int, float]:
    """Keep every connection busy for ``seconds``; (requests done, seconds incl. drain)."""
    done = 0
    stop = False

    async def loop(conn: Connection) -> None:
        nonlocal done
        while not stop:
            await conn.request(request())
            done += 1

    started = now()
    tasks = [asyncio.ensure_future(loop(c)) for c in conns]
    await asyncio.sleep(seconds)
    stop = True
    await asyncio.gather(*tasks)
    return done, now() - started


async def throughput_slice(target: Target, request: Maker, clients: int, seconds: float) -> float:
    """Requests per second of ``clients`` keep-alive loops for ``seconds``."""
    conns = [await Connection.open(target.host, target.port) for _ in range(clients)]
    for conn in conns:  # warm-up
        await conn.request(request())
    done, elapsed = await _run_slice(conns, request, seconds)
    for conn in conns:
        await conn.close()
    return done / elapsed


async def rotated_throughput(
    targets: list[Target],
    requests: dict[str, Maker],
    clients: int,
    rounds: int,
    seconds: float,
) -> dict[str, float]:
    """req/s per target: many short slices, the targets' order rotated every round, so
    a burst of noise on the machine lands on all of them; total requests / total time."""
    conns = {
        t.name: [await Connection.open(t.host, t.port) for _ in range(clients)] for t in targets
    }
    for target in targets:  # warm-up
        await asyncio.gather(*(c.request(requests[target.name]()) for c in conns[target.name]))
    done = dict.fromkeys(conns, 0)
    elapsed = dict.fromkeys(conns, 0.0)
    for round_ in range(rounds):
        for k in range(len(targets)):
            name = targets[(round_ + k) % len(targets)].name
            n, seconds_used = await _run_slice(conns[name], requests[name], seconds)
            done[name] += n
            elapsed[name] += seconds_used
    for group in conns.values():
        for conn in group:
            await conn.close()
    return {name: done[name] / elapsed[name] for name in conns}


def client_ceiling(port: int, clients: int, seconds: float) -> float:
    """req/s of this client against a fixed-answer asyncio server in another process."""
    server = multiprocessing.get_context("fork").Process(
        target=serve_fixed, args=(port,), daemon=True
    )
    server.start()
    try:
        target = Target("fixed", "127.0.0.1", port)

        async def measure() -> float:
            for _ in range(100):  # wait for the server to listen
                try:
                    await (await Connection.open("127.0.0.1", port)).close()
                    break
                except OSError:
                    await asyncio.sleep(0.05)
            raw = target.request("GET", "/api/2.0/mlflow/experiments/get?experiment_id=0")
            return await throughput_slice(target, lambda: raw, clients, seconds)

        return asyncio.run(measure())
    finally:
        server.terminate()
        server.join(5)
