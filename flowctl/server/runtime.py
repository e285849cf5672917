"""The runtime's shared parts, made once per process by the app factory and handed to the
routes and workers: storage, compiled revisions, settings, the clock, the HTTP client that
every outgoing call takes, and the notifier that wakes streams and inline waits."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flowctl.engine import Ports
from flowctl.engine.ports import Clock
from flowctl.server.compiled import CompiledRevision, Revisions
from flowctl.server.ports import Presence, SystemClock
from flowctl.server.settings import Settings
from flowctl.server.storage import Storage
from flowctl.server.storage.sql import Tx

#: Seconds a process reuses the agent presence it read.
PRESENCE_TTL = 1.0


class Notifier:
    """Wakes whoever waits on a conversation in this process when it changes.  Other
    processes' changes are found by polling (streams re-read every second)."""

    def __init__(self) -> None:
        self._waiters: dict[str, set[asyncio.Event]] = {}

    def notify(self, conversation_id: str) -> None:
        for event in self._waiters.get(conversation_id, ()):
            event.set()

    async def wait(self, conversation_id: str, timeout: float) -> None:
        event = asyncio.Event()
        self._waiters.setdefault(conversation_id, set()).add(event)
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            pass
        finally:
            waiters = self._waiters.get(conversation_id)
            if waiters is not None:
                waiters.discard(event)
                if not waiters:
                    del self._waiters[conversation_id]


@dataclass
class Runtime:
    storage: Storage
    settings: Settings
    admin_token: str
    clock: Clock = field(default_factory=SystemClock)
    revisions: Revisions = field(default_factory=Revisions)
    notifier: Notifier = field(default_factory=Notifier)
    http: Any = None  # the guarded httpx client (made on start)
    env: Mapping[str, str] = field(default_factory=dict)  # where ${NAME} secrets come from
    assistant: Any = None  # tests only: an assistant port replacing the revision's
    wall: Callable[[], float] = time.time  # when outgoing calls are due (tests move it on)
    metrics: Any = None  # the process's Prometheus metrics (server.metrics.Metrics)

    _presence: dict[str, tuple[float, dict[str, int]]] = field(default_factory=dict)

    def now(self) -> datetime:
        return self.clock.now()

    async def presence(self, tx: Tx, project: str) -> dict[str, int]:
        """Agents online per department, read at most every :data:`PRESENCE_TTL` seconds
        (this process forgets it when it sets presence; another process's change shows
        within the TTL)."""
        hit = self._presence.get(project)
        moment = time.monotonic()
        if hit is not None and moment - hit[0] < PRESENCE_TTL:
            return hit[1]
        value = await tx.presence(project)
        self._presence[project] = (moment, value)
        return value

    def forget_presence(self, project: str) -> None:
        self._presence.pop(project, None)

    def ports(self, compiled: CompiledRevision, presence: dict[str, int]) -> Ports:
        return Ports(self.clock, Presence(presence), self.assistant or compiled.assistant,
                     compiled.knowledge)
