"""The engine's ports for one virtual visitor: everything scripted, nothing on the network.

* :class:`ScriptedClock`: the visitor's ``now``; when a visitor gives none, the fixed instant
  :data:`DEFAULT_NOW` (Monday 2026-01-05 10:00 in the project's time zone), never the real
  time, so that every run is deterministic.  ``wait`` steps advance it.
* :class:`MockEndpoints`: ``mocks.endpoints``; one response for every call, or a sequence
  whose last entry repeats.  A call to an endpoint the script does not mock raises
  :class:`Unmocked`, which fails the visitor.
* :class:`MockAssistant`: ``mocks.ai``; replies in order per assistant, then ``no_answer``.
  An assistant without a mock answers from the knowledge base when its provider is
  ``knowledge_base`` (offline and deterministic); any other provider raises :class:`Unmocked`.
* :class:`ScriptedAgents`: agents online per department, changed by ``agents`` steps.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any

from flowctl.engine.knowledge import KnowledgeAssistant, KnowledgeBase
from flowctl.engine.ports import AssistantReply, Ports, Request, Response
from flowctl.model.project import Project
from flowctl.model.visitors import AIMock, EndpointMock, MockResponse, thaw

#: The simulator's clock when a visitor gives no ``now`` (local time of the project).
DEFAULT_NOW = datetime(2026, 1, 5, 10, 0, 0)


class Unmocked(Exception):
    """The flow called something the visitor's script does not mock."""

    def __init__(self, message: str, block: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.block = block


def parse_now(text: str | None, zone: tzinfo) -> datetime:
    """The visitor's ``now`` (ISO 8601; without an offset, in the project's time zone)."""
    if text is None:
        return DEFAULT_NOW.replace(tzinfo=zone)
    value = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    if value.tzinfo is None:
        return value.replace(tzinfo=zone)
    return value.astimezone(zone)


class ScriptedClock:
    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        try:
            self._now = self._now + timedelta(seconds=seconds)
        except OverflowError:  # the schema caps `wait`; this guards direct callers
            self._now = datetime.max.replace(tzinfo=self._now.tzinfo)


@dataclass
class Call:
    """One recorded endpoint call."""

    request: Request
    response: Response
    at: datetime


class MockEndpoints:
    def __init__(self, mocks: tuple[EndpointMock, ...] | list[EndpointMock],
                 clock: ScriptedClock | None = None) -> None:
        self.responses: dict[str, tuple[MockResponse, ...]] = {
            mock.endpoint.name: mock.responses for mock in mocks
        }
        self.clock = clock
        self.counts: dict[str, int] = {}
        self.calls: list[Call] = []

    def call(self, request: Request) -> Response:
        responses = self.responses.get(request.endpoint)
        if not responses:
            where = f" (block '{request.block}')" if request.block else ""
            raise Unmocked(
                f"endpoint '{request.endpoint}' was called{where} but the visitor does not mock "
                f"it: add `mocks: {{endpoints: {{{request.endpoint}: {{status: 200, json: ...}}}}}}`"
                " (the simulator never touches the network)",
                request.block,
            )
        index = self.counts.get(request.endpoint, 0)
        self.counts[request.endpoint] = index + 1
        mock = responses[min(index, len(responses) - 1)]
        response = to_response(mock, request.timeout)
        now = self.clock.now() if self.clock is not None else DEFAULT_NOW
        self.calls.append(Call(request, response, now))
        return response


def to_response(mock: MockResponse, timeout: float) -> Response:
    if mock.timeout or (mock.delay and mock.delay > timeout):
        return Response(status=0, error="timeout")
    if mock.error:
        return Response(status=0, error=str(mock.error))
    body = thaw(mock.json)
    if body is None and mock.text is not None:
        body = mock.text
    return Response(status=mock.status, json=body)


class MockAssistant:
    def __init__(self, mocks: tuple[AIMock, ...] | list[AIMock], project: Project,
                 knowledge: KnowledgeBase | None = None) -> None:
        self.replies = {mock.assistant.name: list(mock.replies) for mock in mocks}
        self.used: dict[str, int] = {}
        self.project = project
        self._offline = KnowledgeAssistant(knowledge or KnowledgeBase(project.articles))
        self.block = ""  # set by the runner: the block waiting for the assistant

    def provider(self, assistant: str) -> str | None:
        config = self.project.config
        if config is None:
            return "knowledge_base" if assistant == "default" else None
        found = config.assistants.get(assistant)
        if found is None:
            return "knowledge_base" if assistant == "default" and not config.assistants else None
        return found.provider

    def reply(self, assistant: str, message: str, *, instructions: str,
              knowledge: tuple[str, ...], history: list[dict[str, Any]]) -> AssistantReply:
        if assistant in self.replies:
            index = self.used.get(assistant, 0)
            self.used[assistant] = index + 1
            replies = self.replies[assistant]
            if index >= len(replies):
                return AssistantReply(handoff="no_answer")
            scripted = replies[index]
            return AssistantReply(text=scripted.text, handoff=scripted.handoff)
        if self.provider(assistant) == "knowledge_base":
            return self._offline.reply(assistant, message, instructions=instructions,
                                       knowledge=knowledge, history=history)
        where = f" (block '{self.block}')" if self.block else ""
        raise Unmocked(
            f"assistant '{assistant}'{where} was asked a question but the visitor does not mock "
            f"it: add `mocks: {{ai: {{{assistant}: [\"a reply\", {{handoff: no_answer}}]}}}}`",
            self.block,
        )


@dataclass
class ScriptedAgents:
    departments_online: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, agents: Mapping[str, Any] | None) -> ScriptedAgents:
        return cls({str(k): _count(v) for k, v in (thaw(agents) or {}).items()})

    def update(self, agents: Mapping[str, Any]) -> None:
        for key, value in (thaw(agents) or {}).items():
            self.departments_online[str(key)] = _count(value)

    def online(self, department: str | None) -> int:
        if department is None:
            return sum(self.departments_online.values())
        return self.departments_online.get(department, 0)

    def departments(self) -> dict[str, int]:
        return dict(self.departments_online)


def _count(value: Any) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 0


@dataclass
class VisitorPorts:
    """The ports of one visitor, with typed handles on the mocks."""

    clock: ScriptedClock
    endpoints: MockEndpoints
    assistant: MockAssistant
    agents: ScriptedAgents
    knowledge: KnowledgeBase

    def ports(self) -> Ports:
        return Ports(self.clock, self.endpoints, self.assistant, self.agents, self.knowledge)
