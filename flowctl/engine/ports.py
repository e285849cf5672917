"""The engine's effects come through these small interfaces.

The simulator implements them with scripted mocks; the runtime server with real HTTP,
its AI provider and agent presence from storage.  The interpreter itself does no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class Request:
    """One HTTP call a data block makes (one attempt)."""

    endpoint: str
    method: str
    url: str
    body: Any = None
    query: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    timeout: float = 10.0
    block: str = ""
    attempt: int = 1


@dataclass(frozen=True)
class Response:
    status: int = 200
    json: Any = None
    error: str | None = None  # "timeout" | "connection" | other transport failure

    @property
    def ok(self) -> bool:
        return self.error is None and 200 <= self.status < 400

    @property
    def retryable(self) -> bool:
        return self.error is not None or self.status >= 500 or self.status == 429


@dataclass(frozen=True)
class AssistantReply:
    text: str | None = None
    handoff: str | None = None  # no_answer | asks_for_human | max_turns


class Clock(Protocol):
    def now(self) -> datetime: ...


class Endpoints(Protocol):
    def call(self, request: Request) -> Response: ...


class Assistant(Protocol):
    def reply(self, assistant: str, message: str, *, instructions: str,
              knowledge: tuple[str, ...], history: list[dict[str, Any]]) -> AssistantReply: ...


class Agents(Protocol):
    def online(self, department: str | None) -> int:
        """Agents online in ``department`` (all departments for ``None``)."""
        ...

    def departments(self) -> dict[str, int]:
        """Agents online per department."""
        ...


class Knowledge(Protocol):
    def search(self, query: str, collection: str | None, limit: int) -> list[dict[str, str]]: ...


@dataclass
class Ports:
    clock: Clock
    endpoints: Endpoints
    assistant: Assistant
    agents: Agents
    knowledge: Knowledge
