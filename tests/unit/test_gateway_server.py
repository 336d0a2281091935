"""The one-worker server of `hokusai gateway serve`: uvicorn's, ticking once a second."""

from __future__ import annotations

import asyncio
import signal
import threading
import time

import uvicorn

from hokusai.gateway.server import TICK, GatewayServer
from hokusai.local import free_port


async def hello(scope, receive, send):  # pragma: no cover - never called
    raise AssertionError("no request is made")


def test_it_ticks_once_a_second_and_stops_at_once_when_asked():
    server = GatewayServer(
        uvicorn.Config(hello, port=free_port(), log_level="warning", lifespan="off")
    )
    ticks = []
    on_tick = server.on_tick

    async def counted(counter: int) -> bool:
        ticks.append(counter)
        return await on_tick(counter)

    server.on_tick = counted
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started
    time.sleep(2.5 * TICK)
    assert 2 <= len(ticks) <= 4, ticks  # uvicorn's loop would have ticked ~25 times
    assert all(counter % 10 == 0 for counter in ticks)  # each refreshes the Date header
    stopping = time.monotonic()
    server.handle_exit(signal.SIGTERM, None)  # what the signal handler calls
    thread.join(10)
    assert not thread.is_alive()
    assert time.monotonic() - stopping < TICK / 2
