"""A large artifact PUT then GET through each target; MB/s and the gateway's peak RSS growth."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from tests.bench import procstat
from tests.bench.rawhttp import Connection, Target, now

ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"


@dataclass(frozen=True)
class Transfer:
    target: str
    direction: str  # "PUT" or "GET"
    size: int
    seconds: float
    status: int
    peak_growth_kib: int | None  # gateway only: VmHWM after minus VmRSS before
    cpu_seconds: float | None  # of the proxy (gateway or nginx) during the transfer

    @property
    def mb_per_s(self) -> float:
        return self.size / self.seconds / 1e6


async def _put(target: Target, path: str, size: int) -> int:
    conn = await Connection.open(target.host, target.port)
    try:
        head = target.request("PUT", path).replace(
            b"Content-Type: application/json\r\nContent-Length: 0",
            b"Content-Type: application/octet-stream\r\nContent-Length: " + str(size).encode(),
        )
        status, _ = await conn.upload(head, size)
        return status
    finally:
        await conn.close()


async def _get(target: Target, path: str, size: int) -> int:
    conn = await Connection.open(target.host, target.port)
    try:
        status, length = await conn.request(target.request("GET", path))
        if status == 200 and length != size:
            raise RuntimeError(f"{target.name}: got {length} bytes of {size}")
        return status
    finally:
        await conn.close()


def transfer(
    target: Target,
    direction: str,
    name: str,
    size: int,
    gateway_pid: int | None,
    proxy_pid: int | None,
) -> Transfer:
    """One PUT or GET of ``size`` bytes at ``artifacts/bench/<name>``."""
    path = f"{ARTIFACTS}/bench/{name}"
    before = None
    if gateway_pid is not None:
        procstat.reset_peak(gateway_pid)
        before = procstat.status_kib(gateway_pid, "VmRSS")
    cpu = procstat.cpu_seconds(proxy_pid, include_children=True) if proxy_pid else 0.0
    started = now()
    action = _put if direction == "PUT" else _get
    status = asyncio.run(action(target, path, size))
    seconds = now() - started
    used = procstat.cpu_seconds(proxy_pid, include_children=True) - cpu if proxy_pid else None
    growth = None
    if gateway_pid is not None and before is not None:
        growth = procstat.status_kib(gateway_pid, "VmHWM") - before
    return Transfer(target.name, direction, size, seconds, status, growth, used)
