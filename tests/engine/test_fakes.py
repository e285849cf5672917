"""The package's fakes, and a visitors file's mocks turned into them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from flowctl.engine import AssistantQuestion, AssistantReply, Call, NowError, parse_now
from flowctl.engine.fakes import FixedClock, ScriptedAgents
from flowctl.engine.knowledge import KnowledgeBase
from flowctl.model.blocks import Ref
from flowctl.model.project import Assistant, Project, ProjectConfig
from flowctl.model.span import SourceSpan
from flowctl.model.visitors import AIMock, AIReply, EndpointMock, MockResponse, Mocks, Visitor, freeze
from flowctl.simulate.mocks import visitor_ports

SPAN = SourceSpan("x.visitors.yaml", 1, 1)
BERLIN = ZoneInfo("Europe/Berlin")


def project(provider: str = "knowledge_base") -> Project:
    config = ProjectConfig(name="p", span=SPAN, timezone=Ref("Europe/Berlin", SPAN),
                           assistants={"default": Assistant("default", SPAN, provider)})
    return Project(root=".", config=config, flows=())


def fakes(*endpoint_mocks: EndpointMock, ai: tuple[AIMock, ...] = (), provider: str = "knowledge_base",
          now: str | None = None):  # type: ignore[no-untyped-def]
    visitor = Visitor(name="v", span=SPAN, now=now,
                      mocks=Mocks(endpoints=tuple(endpoint_mocks), ai=ai))
    return visitor_ports(project(provider), visitor, KnowledgeBase([]))


def crm(*responses: MockResponse) -> EndpointMock:
    return EndpointMock(Ref("crm", SPAN), responses)


def call(endpoint: str = "crm", timeout: float = 5.0, attempt: int = 1) -> Call:
    return Call("c:push:1", endpoint, "POST", "https://x.test", {"a": 1}, timeout=timeout,
                block="push", attempt=attempt)


def test_single_response_for_every_call() -> None:
    ports = fakes(crm(MockResponse(SPAN, status=201, json=freeze({"id": 1}))))
    for _ in range(3):
        response = ports.endpoints.call(call())
        assert response.status == 201 and response.json == {"id": 1} and response.ok
    assert len(ports.endpoints.calls) == 3


def test_sequence_last_repeats() -> None:
    ports = fakes(crm(MockResponse(SPAN, status=500), MockResponse(SPAN, status=200)))
    assert [ports.endpoints.call(call()).status for _ in range(4)] == [500, 200, 200, 200]


def test_timeout_flag_and_delay_over_the_timeout() -> None:
    assert fakes(crm(MockResponse(SPAN, timeout=True))).endpoints.call(call()).error == "timeout"
    slow = fakes(crm(MockResponse(SPAN, delay=6))).endpoints
    assert slow.call(call(timeout=5)).error == "timeout"
    assert slow.call(call(timeout=10)).ok  # within the call's timeout


def test_connection_error_is_retryable() -> None:
    response = fakes(crm(MockResponse(SPAN, error="connection"))).endpoints.call(call())
    assert response.error == "connection" and not response.ok and response.retryable


def test_unmocked_endpoint_is_a_failed_response_and_a_problem() -> None:
    ports = fakes(crm(MockResponse(SPAN)))
    response = ports.endpoints.call(call("slots"))
    assert response.error == "unmocked" and not response.retryable
    assert "endpoint 'slots'" in ports.problems[0] and "block 'push'" in ports.problems[0]


def ask(ports, message: str) -> AssistantReply:  # type: ignore[no-untyped-def]
    return ports.assistant.reply(AssistantQuestion("default", "f", "bot", message))


def test_assistant_replies_in_order_then_no_answer() -> None:
    ports = fakes(ai=(AIMock(Ref("default", SPAN), (
        AIReply(SPAN, text="Pro is 49 EUR."), AIReply(SPAN, handoff="asks_for_human"))),),
        provider="openai")
    first = ask(ports, "price?")
    assert first.text == "Pro is 49 EUR." and first.handoff is None
    assert ask(ports, "human").handoff == "asks_for_human"
    assert ask(ports, "more").handoff == "no_answer"
    assert ports.problems == []


def test_unmocked_assistant_uses_knowledge_base_or_is_a_problem() -> None:
    offline = fakes(provider="knowledge_base")
    assert ask(offline, "anything").handoff == "no_answer"  # the project has no articles
    assert offline.problems == []
    online = fakes(provider="openai")
    assert ask(online, "anything").handoff == "no_answer"
    assert "assistant 'default'" in online.problems[0] and "block 'bot'" in online.problems[0]


def test_agents_updates() -> None:
    agents = ScriptedAgents.of({"sales": 2, "support": 1, "bad": "x"})
    assert agents.online(None) == 3 and agents.online("sales") == 2 and agents.online("x") == 0
    agents.update({"sales": 0})
    assert agents.departments() == {"sales": 0, "support": 1, "bad": 0}
    assert agents.online(None) == 1


def test_clock_and_now() -> None:
    assert parse_now(None, BERLIN) == datetime(2026, 1, 5, 10, 0, tzinfo=BERLIN)
    assert parse_now("2026-11-24T10:00:00", BERLIN).isoformat() == "2026-11-24T10:00:00+01:00"
    assert parse_now("2026-11-24T09:00:00Z", BERLIN).hour == 10
    assert fakes(now="2026-11-24T10:00").clock.now().isoformat() == "2026-11-24T10:00:00+01:00"
    clock = FixedClock(parse_now(None, BERLIN))
    clock.advance(90)
    assert clock.now() == datetime(2026, 1, 5, 10, 1, 30, tzinfo=BERLIN)
    clock.set(datetime(9999, 12, 31, 23, 59, tzinfo=BERLIN))
    clock.advance(10**9)  # past the end of time: stays at the end, no OverflowError
    assert clock.now().year == 9999


@pytest.mark.parametrize("text", ["2026-02-29T10:00", "tomorrow", "9999-12-31T23:59:59-12:00",
                                  "1969-12-31T23:00:00Z", "9001-01-01T00:00"])
def test_bad_now_is_a_readable_error(text: str) -> None:
    with pytest.raises(NowError, match=r"ISO 8601|supported range 1970 to 9000"):
        parse_now(text, BERLIN)
