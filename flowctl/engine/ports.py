"""The engine's effects come through these small interfaces, passed with every call.

A host implements them: the simulator with scripted fakes (:mod:`flowctl.engine.fakes`),
chat with settable ones, the server with storage, its clock and the offline assistant.
The engine reads the clock, agents and knowledge, and asks the assistant; it never calls
an endpoint itself (a data block yields a :class:`~flowctl.engine.calls.Call` that the
host performs).  ``endpoints`` is here for hosts that perform calls in process
(:func:`flowctl.engine.host.settle`).

A port that raises does not break a step: the engine records a diagnostic and carries on
as the spec says for a failure (the assistant hands back with ``no_answer``, the knowledge
base finds nothing, no agents are online).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from flowctl.engine.calls import Call, Response
from flowctl.engine.messages import ArticleLink


@dataclass(frozen=True)
class AssistantQuestion:
    """What an ``ai`` block asks its assistant: the visitor's message and the block's
    instructions, knowledge collections and the conversation with it so far."""

    assistant: str
    flow: str
    block: str
    message: str
    instructions: str = ""
    knowledge: tuple[str, ...] = ()
    history: tuple[dict[str, str], ...] = ()
    conversation: str = ""  # the conversation's id (a host's assistant may keep a thread)


@dataclass(frozen=True)
class AssistantReply:
    text: str | None = None
    handoff: str | None = None  # no_answer | asks_for_human | max_turns


class Clock(Protocol):
    def now(self) -> datetime: ...


class Endpoints(Protocol):
    def call(self, call: Call) -> Response:
        """One attempt; a transport failure is a Response with ``error``, not an exception."""
        ...


class Assistant(Protocol):
    def reply(self, question: AssistantQuestion) -> AssistantReply: ...


class Agents(Protocol):
    def online(self, department: str | None) -> int:
        """Agents online in ``department`` (all departments for ``None``)."""
        ...

    def departments(self) -> dict[str, int]:
        """Agents online per department."""
        ...


class Knowledge(Protocol):
    def search(self, query: str, collection: str | None, limit: int) -> list[ArticleLink]: ...


class _NoEndpoints:
    def call(self, call: Call) -> Response:
        return Response(status=0, error="no endpoints port")


@dataclass
class Ports:
    clock: Clock
    agents: Agents
    assistant: Assistant
    knowledge: Knowledge
    endpoints: Endpoints = _NoEndpoints()  # noqa: RUF009 - stateless

    def replace(self, **changes: Any) -> Ports:
        """These ports with some replaced (``ports.replace(clock=...)``)."""
        return dataclasses.replace(self, **changes)
