"""A visitor's ``mocks``, ``agents`` and ``now`` as the engine's fakes.

Everything is scripted and nothing touches the network: the clock starts at the visitor's
``now`` (:data:`~flowctl.engine.clock.DEFAULT_NOW` when it gives none) and moves only with
``wait`` steps; ``mocks.endpoints`` answer calls (a sequence's last entry repeats; a call
nothing mocks fails the visitor); ``mocks.ai`` replies in order per assistant, then
``no_answer``, and an assistant without a mock answers from the knowledge base when its
provider is ``knowledge_base`` (any other fails the visitor); ``agents`` steps change the
agents online.
"""

from __future__ import annotations

from flowctl.engine.calls import Response
from flowctl.engine.clock import parse_now
from flowctl.engine.fakes import (
    Canned,
    FakePorts,
    FixedClock,
    ScriptedAgents,
    ScriptedAssistant,
    ScriptedEndpoints,
)
from flowctl.engine.knowledge import KnowledgeAssistant, KnowledgeBase, answers_offline
from flowctl.engine.ports import AssistantReply
from flowctl.expr.schedule import project_zone
from flowctl.model.project import Project
from flowctl.model.visitors import MockResponse, Visitor, thaw


def canned(mock: MockResponse) -> Canned:
    """One mocked answer: a timeout, a transport error, or a status with a body."""
    if mock.timeout:
        return Canned(Response(status=0, error="timeout"))
    if mock.error:
        return Canned(Response(status=0, error=str(mock.error)))
    body = thaw(mock.json)
    if body is None and mock.text is not None:
        body = mock.text
    return Canned(Response(status=mock.status, json=body), float(mock.delay or 0))


def visitor_ports(project: Project, visitor: Visitor, knowledge: KnowledgeBase,
                  **override: str | None) -> FakePorts:
    """The fakes of one visitor of a visitors file (``now=`` overrides the visitor's)."""
    now = override.get("now", visitor.now)
    clock = FixedClock(parse_now(now, project_zone(project)))
    endpoints = ScriptedEndpoints({mock.endpoint.name: tuple(canned(r) for r in mock.responses)
                                   for mock in visitor.mocks.endpoints})
    assistant = ScriptedAssistant(
        {mock.assistant.name: tuple(AssistantReply(text=r.text, handoff=r.handoff)
                                    for r in mock.replies) for mock in visitor.mocks.ai},
        fallback=KnowledgeAssistant(knowledge),
        offline=lambda name: answers_offline(project, name))
    agents = ScriptedAgents.of(thaw(visitor.agents))
    return FakePorts(clock, endpoints, assistant, agents, knowledge)
