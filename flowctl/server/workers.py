"""The background loops of a server process: timeouts, outgoing calls, idle conversations.

Every process runs them; leases in storage make each timer and call run in one process at a
time.  A loop that fails logs the error and carries on after a pause: one bad row never
stops the worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from flowctl.server.delivery import abandon_idle, attempt, claim_calls, fire_timers
from flowctl.server.runtime import Runtime
from flowctl.server.storage.records import OutboxRow

log = logging.getLogger("flowctl.server")

#: Seconds between passes when a pass found nothing to do.
TIMER_PASS = 0.25
OUTBOX_PASS = 0.2
IDLE_PASS = 60.0

#: Calls one process attempts at once.
OUTBOX_CONCURRENCY = 20


class Workers:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self.tasks = [
            asyncio.create_task(self._loop("timers", fire_timers, TIMER_PASS)),
            asyncio.create_task(self._outbox()),
            asyncio.create_task(self._loop("idle", abandon_idle, IDLE_PASS)),
        ]

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self.tasks = []

    async def _loop(self, name: str, work: Callable[[Runtime], Awaitable[int]],
                    pause: float) -> None:
        while True:
            try:
                done = await work(self.runtime)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # keep working; the next pass retries
                log.error("worker %s failed: %s: %s", name, type(error).__name__, error)
                done = 0
            if not done:
                await asyncio.sleep(pause)

    async def _outbox(self) -> None:
        """Claim due calls while fewer than OUTBOX_CONCURRENCY attempts run, each attempt a
        task of its own: a slow endpoint keeps one slot busy, not the worker."""
        running: set[asyncio.Task[None]] = set()
        try:
            while True:
                claimed: list[OutboxRow] = []
                if len(running) < OUTBOX_CONCURRENCY:
                    try:
                        claimed = await claim_calls(self.runtime, OUTBOX_CONCURRENCY - len(running))
                    except Exception as error:  # the database is away: the next pass retries
                        log.error("worker outbox failed: %s: %s", type(error).__name__, error)
                for row in claimed:
                    task = asyncio.create_task(self._attempt(row))
                    running.add(task)
                    task.add_done_callback(running.discard)
                if not claimed:
                    await asyncio.sleep(OUTBOX_PASS)
        finally:
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)

    async def _attempt(self, row: OutboxRow) -> None:
        try:
            await attempt(self.runtime, row)
        except Exception as error:  # its lease expires and a later pass retries the call
            log.error("worker outbox: call %s failed: %s: %s", row.key, type(error).__name__,
                      error)
