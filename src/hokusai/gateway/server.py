"""The uvicorn server ``hokusai gateway serve`` runs (one worker): quieter when idle.

uvicorn's main loop wakes ten times a second to refresh the ``Date`` header (once a
second) and to see whether it should stop. Each wake-up of an idle process costs
~0.2 ms of CPU on the benchmark machine: 2.2 ms per second doing nothing, which the
benchmark's CPU per request counts (~0.07 ms per request at MLflow's pace). This
server wakes once a second, or at once when a signal asks it to stop; everything
else is uvicorn's own.

``main_loop``, ``on_tick`` and ``handle_exit`` are not uvicorn's public API: uvicorn is
bounded below its next minor version in ``pyproject.toml``, and
``tests/unit/test_borrowed_internals.py`` fails, saying why, when their signatures or
the places uvicorn calls them change.
"""

from __future__ import annotations

import asyncio
import contextlib
from types import FrameType

import uvicorn

TICK = 1.0  # seconds; uvicorn's Date header has a one-second resolution anyway


class GatewayServer(uvicorn.Server):
    """``uvicorn.Server`` whose main loop ticks once a second instead of ten times."""

    _loop: asyncio.AbstractEventLoop | None = None
    _stop: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            # uvicorn counts tenths of a second: every tick is a "full second" tick
            counter = (counter + 10) % 864000
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(TICK):
                    await self._stop.wait()
            should_exit = await self.on_tick(counter)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
