from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from flowctl.engine.ports import AssistantReply, Request
from flowctl.model.blocks import Ref
from flowctl.model.project import Project
from flowctl.model.span import SourceSpan
from flowctl.model.visitors import AIMock, AIReply, EndpointMock, MockResponse, freeze
from flowctl.simulate.mocks import (
    DEFAULT_NOW,
    MockAssistant,
    MockEndpoints,
    ScriptedAgents,
    ScriptedClock,
    Unmocked,
    parse_now,
)

SPAN = SourceSpan("x.visitors.yaml", 1, 1)
BERLIN = ZoneInfo("Europe/Berlin")


def endpoints(name: str, *responses: MockResponse) -> MockEndpoints:
    return MockEndpoints([EndpointMock(Ref(name, SPAN), responses)],
                         ScriptedClock(DEFAULT_NOW.replace(tzinfo=BERLIN)))


def request(endpoint: str = "crm", timeout: float = 5.0) -> Request:
    return Request(endpoint, "POST", "https://x.test", {"a": 1}, timeout=timeout, block="push")


def test_single_response_for_every_call() -> None:
    mock = endpoints("crm", MockResponse(SPAN, status=201, json=freeze({"id": 1})))
    for _ in range(3):
        response = mock.call(request())
        assert response.status == 201 and response.json == {"id": 1} and response.ok
    assert len(mock.calls) == 3


def test_sequence_last_repeats() -> None:
    mock = endpoints("crm", MockResponse(SPAN, status=500), MockResponse(SPAN, status=200))
    assert [mock.call(request()).status for _ in range(4)] == [500, 200, 200, 200]


def test_timeout_flag_and_delay_over_the_timeout() -> None:
    assert endpoints("crm", MockResponse(SPAN, timeout=True)).call(request()).error == "timeout"
    slow = endpoints("crm", MockResponse(SPAN, delay=6))
    assert slow.call(request(timeout=5)).error == "timeout"
    assert slow.call(request(timeout=10)).ok  # within the request's timeout


def test_connection_error() -> None:
    response = endpoints("crm", MockResponse(SPAN, error="connection")).call(request())
    assert response.error == "connection" and not response.ok and response.retryable


def test_unmocked_endpoint_names_endpoint_and_block() -> None:
    with pytest.raises(Unmocked) as caught:
        endpoints("crm", MockResponse(SPAN)).call(request("slots"))
    assert "endpoint 'slots'" in caught.value.message
    assert "block 'push'" in caught.value.message
    assert caught.value.block == "push"


def _project(provider: str) -> Project:
    from flowctl.model.project import Assistant, ProjectConfig

    config = ProjectConfig(name="p", span=SPAN,
                           assistants={"default": Assistant("default", SPAN, provider)})
    return Project(root=".", config=config, flows=())


def ask(mock: MockAssistant, message: str) -> AssistantReply:
    return mock.reply("default", message, instructions="", knowledge=(), history=[])


def test_assistant_replies_in_order_then_no_answer() -> None:
    mock = MockAssistant([AIMock(Ref("default", SPAN), (
        AIReply(SPAN, text="Pro is 49 EUR."), AIReply(SPAN, handoff="asks_for_human")))],
        _project("openai"))
    first = ask(mock, "price?")
    assert first.text == "Pro is 49 EUR." and first.handoff is None
    assert ask(mock, "human").handoff == "asks_for_human"
    assert ask(mock, "more").handoff == "no_answer"


def test_unmocked_assistant_uses_knowledge_base_or_fails() -> None:
    offline = MockAssistant([], _project("knowledge_base"))
    assert ask(offline, "anything").handoff == "no_answer"  # the project has no articles
    online = MockAssistant([], _project("openai"))
    with pytest.raises(Unmocked, match="assistant 'default'"):
        ask(online, "anything")


def test_agents_updates() -> None:
    agents = ScriptedAgents.of(freeze({"sales": 2, "support": 1}))
    assert agents.online(None) == 3 and agents.online("sales") == 2 and agents.online("x") == 0
    agents.update({"sales": 0})
    assert agents.departments() == {"sales": 0, "support": 1}
    assert agents.online(None) == 1


def test_clock() -> None:
    assert parse_now(None, BERLIN) == datetime(2026, 1, 5, 10, 0, tzinfo=BERLIN)
    assert parse_now("2026-11-24T10:00:00", BERLIN).isoformat() == "2026-11-24T10:00:00+01:00"
    assert parse_now("2026-11-24T09:00:00Z", BERLIN).hour == 10
    clock = ScriptedClock(parse_now(None, BERLIN))
    clock.advance(90)
    assert clock.now() == datetime(2026, 1, 5, 10, 1, 30, tzinfo=BERLIN)
