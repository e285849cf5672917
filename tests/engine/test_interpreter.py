"""The interpreter against small flows, with hand-made ports (no simulator involved)."""

from __future__ import annotations

import json
import textwrap
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from flowctl.engine.inputs import Click, Elapse, Say, SubmitForm
from flowctl.engine.interpreter import Interpreter
from flowctl.engine.knowledge import KnowledgeBase
from flowctl.engine.ports import AssistantReply, Ports, Request, Response
from flowctl.engine.state import Conversation
from flowctl.loader.project import load_project

CONFIG = """\
project: t
timezone: Europe/Berlin
departments: [sales]
endpoints:
  crm: {url: "https://crm.test/api", method: POST, retries: 2}
"""


class Clock:
    def __init__(self) -> None:
        self.at = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))

    def now(self) -> datetime:
        return self.at


class Endpoints:
    def __init__(self, *responses: Response) -> None:
        self.responses = list(responses) or [Response(200, {"id": 1})]
        self.calls: list[Request] = []

    def call(self, request: Request) -> Response:
        self.calls.append(request)
        return self.responses[min(len(self.calls), len(self.responses)) - 1]


class Assistant:
    def __init__(self, *replies: AssistantReply) -> None:
        self.replies = list(replies)

    def reply(self, assistant: str, message: str, **_: Any) -> AssistantReply:
        return self.replies.pop(0) if self.replies else AssistantReply(handoff="no_answer")


class Agents:
    def __init__(self, **online: int) -> None:
        self.map = online

    def online(self, department: str | None) -> int:
        return sum(self.map.values()) if department is None else self.map.get(department, 0)

    def departments(self) -> dict[str, int]:
        return dict(self.map)


def make(tmp_path: Path, flow: str, *, endpoints: Endpoints | None = None,
         assistant: Assistant | None = None, agents: Agents | None = None):
    (tmp_path / "flowctl.yaml").write_text(CONFIG)
    (tmp_path / "t.flow.yaml").write_text(textwrap.dedent(flow))
    project, _ = load_project([tmp_path])
    assert not [p for p in project.load_problems], project.load_problems
    clock = Clock()
    ports = Ports(clock, endpoints or Endpoints(), assistant or Assistant(),
                  agents or Agents(sales=1), KnowledgeBase([]))
    return Interpreter(project, ports), clock


QUESTION = """\
flow: t
blocks:
  - id: ask
    type: question
    text: "Size, {{ visitor.name or 'there' }}?"
    choices: [Small, {label: Big, value: big, next: big}]
    save: size
    retries: 1
    retry_text: Pick one please.
    on_invalid: lost
    timeout: 60
    on_timeout: slow
  - id: small
    type: end
    outcome: small
  - id: big
    type: end
    outcome: "big"
  - id: lost
    type: end
    outcome: lost
  - id: slow
    type: end
    outcome: slow
"""


def test_choice_saves_value_and_follows_its_next(tmp_path: Path) -> None:
    engine, _ = make(tmp_path, QUESTION)
    step = engine.start("t", {"visitor": {"name": "Ada"}})
    assert step.outputs[0]["text"] == "Size, Ada?"
    assert step.outputs[0]["choices"] == ["Small", "Big"]
    step = engine.handle(step.state, Click("Big"), {})
    assert step.state.outcome == "big"
    assert step.state.variables["size"] == "big"
    assert step.state.path == ["ask", "big"]
    assert step.state.edges == ["ask -choice[Big]-> big", "big -end-> (end)"]


def test_typed_label_selects_and_label_is_saved_without_value(tmp_path: Path) -> None:
    engine, _ = make(tmp_path, QUESTION)
    step = engine.handle(engine.start("t", {}).state, Say("small"), {})
    assert step.state.variables["size"] == "Small"
    assert step.state.outcome == "small"


def test_invalid_answers_retry_then_on_invalid(tmp_path: Path) -> None:
    engine, _ = make(tmp_path, QUESTION)
    state = engine.start("t", {}).state
    step = engine.handle(state, Say("medium"), {})
    assert [m["text"] for m in step.outputs] == ["Pick one please.", "Size, there?"]
    step = engine.handle(step.state, Say("huge"), {})
    assert step.state.outcome == "lost"
    assert "size" not in step.state.variables


def test_timeout_fires_only_after_the_timeout(tmp_path: Path) -> None:
    engine, clock = make(tmp_path, QUESTION)
    state = engine.start("t", {}).state
    clock.at += timedelta(seconds=59)
    assert engine.handle(state, Elapse(), {}).state.status == "waiting"
    clock.at += timedelta(seconds=1)
    assert engine.handle(state, Elapse(), {}).state.outcome == "slow"


def test_visitor_input_is_data_never_evaluated(tmp_path: Path) -> None:
    engine, _ = make(tmp_path, """\
        flow: t
        blocks:
          - id: ask
            type: question
            text: Name?
            save: name
          - id: echo
            type: end
            text: "You said {{ name }}"
        """)
    step = engine.handle(engine.start("t", {}).state, Say("{{ 7*7 }}"), {})
    assert step.outputs[-1]["text"] == "You said {{ 7*7 }}"


def test_state_snapshot_round_trips_through_json(tmp_path: Path) -> None:
    engine, _ = make(tmp_path, QUESTION)
    state = engine.start("t", {"visitor": {"name": "Ada"}}).state
    restored = Conversation.from_dict(json.loads(json.dumps(state.to_dict())))
    step = engine.handle(restored, Click("Small"), {})
    assert step.state.outcome == "small"


DATA = """\
flow: t
blocks:
  - id: push
    type: data_update
    endpoint: crm
    body: {email: "{{ email }}", size: "{{ size }}", tags: [a, b]}
    save: result
    on_error: failed
  - id: done
    type: end
  - id: failed
    type: end
    outcome: failed
"""


def test_data_block_sends_native_values_and_saves_json(tmp_path: Path) -> None:
    endpoints = Endpoints(Response(201, {"id": 42}))
    engine, _ = make(tmp_path, DATA, endpoints=endpoints)
    step = engine.start("t", {"email": "ada@example.com", "size": 250})
    assert endpoints.calls[0].body == {"email": "ada@example.com", "size": 250, "tags": ["a", "b"]}
    assert step.state.variables["result"] == {"id": 42}
    assert step.state.outcome == "completed"


def test_data_block_retries_then_takes_on_error(tmp_path: Path) -> None:
    endpoints = Endpoints(Response(500), Response(503), Response(error="timeout"))
    engine, _ = make(tmp_path, DATA, endpoints=endpoints)
    step = engine.start("t", {})
    assert len(endpoints.calls) == 3  # one call and the endpoint's two retries
    assert step.state.outcome == "failed"
    assert "result" not in step.state.variables


def test_client_errors_are_not_retried(tmp_path: Path) -> None:
    endpoints = Endpoints(Response(422))
    engine, _ = make(tmp_path, DATA, endpoints=endpoints)
    assert engine.start("t", {}).state.outcome == "failed"
    assert len(endpoints.calls) == 1


ESCALATE = """\
flow: t
blocks:
  - id: to_sales
    type: escalate
    department: sales
    text: Connecting you…
    note: "Lead {{ visitor.name }}"
    when_unavailable: offline
  - id: offline
    type: end
    outcome: offline
"""


@pytest.mark.parametrize(("online", "outcome"), [(1, "escalated"), (0, "offline")])
def test_escalation_depends_on_agents(tmp_path: Path, online: int, outcome: str) -> None:
    engine, _ = make(tmp_path, ESCALATE, agents=Agents(sales=online))
    step = engine.start("t", {"visitor": {"name": "Ada"}})
    assert step.state.outcome == outcome
    if online:
        assert step.state.department == "sales"
        assert step.state.agent_note == "Lead Ada"
        assert step.outputs[-1]["type"] == "handoff"


def test_ai_hands_back_with_reason(tmp_path: Path) -> None:
    assistant = Assistant(AssistantReply(text="It costs 49 EUR."),
                          AssistantReply(handoff="asks_for_human"))
    engine, _ = make(tmp_path, """\
        flow: t
        blocks:
          - id: bot
            type: ai
            save: reason
          - id: done
            type: end
        """, assistant=assistant)
    state = engine.start("t", {}).state
    step = engine.handle(state, Say("price?"), {})
    assert step.outputs[0]["text"] == "It costs 49 EUR."
    step = engine.handle(step.state, Say("a human please"), {})
    assert step.state.variables["reason"] == "asks_for_human"
    assert step.state.outcome == "completed"


def test_form_updates_profile_and_saves_mapping(tmp_path: Path) -> None:
    engine, _ = make(tmp_path, """\
        flow: t
        blocks:
          - id: contact
            type: form
            fields:
              - {name: email, type: email, required: true, profile: email}
              - {name: company, profile: attributes.company}
            save: contact
          - id: done
            type: end
        """)
    state = engine.start("t", {}).state
    step = engine.handle(state, SubmitForm({"company": "Acme"}), {})
    assert step.state.status == "waiting"  # email is required
    step = engine.handle(step.state, SubmitForm({"email": "ada@example.com", "company": "Acme"}), {})
    assert step.state.visitor == {"email": "ada@example.com", "attributes": {"company": "Acme"}}
    assert step.state.variables["contact"]["company"] == "Acme"


def test_busy_loop_is_stopped(tmp_path: Path) -> None:
    engine, _ = make(tmp_path, """\
        flow: t
        blocks:
          - {id: a, type: tag, add: [x], next: b}
          - {id: b, type: tag, add: [y], next: a}
        """)
    state = engine.start("t", {}).state
    assert state.outcome == "error:loop"


def test_goto_continues_in_the_same_conversation(tmp_path: Path) -> None:
    (tmp_path / "other.flow.yaml").write_text(
        "flow: other\nblocks:\n  - {id: hello, type: end, text: 'Hi {{ name }}'}\n")
    engine, _ = make(tmp_path, """\
        flow: t
        blocks:
          - {id: remember, type: set, values: {name: Ada}}
          - {id: jump, type: goto, flow: other}
        """)
    step = engine.start("t", {})
    assert step.outputs[-1]["text"] == "Hi Ada"
    assert step.state.outcomes == [["t", "goto:other"], ["other", "completed"]]
    assert step.state.flows == ["t", "other"]


def test_assistant_sees_the_earlier_turns(tmp_path: Path) -> None:
    seen: list[list[dict[str, str]]] = []

    class Recording(Assistant):
        def reply(self, assistant: str, message: str, **kwargs: Any) -> AssistantReply:
            seen.append(kwargs["history"])
            return super().reply(assistant, message)

    engine, _ = make(tmp_path, """\
        flow: t
        blocks:
          - {id: bot, type: ai, max_turns: 3}
          - {id: done, type: end}
        """, assistant=Recording(AssistantReply(text="Hello!"), AssistantReply(text="49 EUR.")))
    state = engine.start("t", {}).state
    state = engine.handle(state, Say("hi"), {}).state
    engine.handle(state, Say("price?"), {})
    assert seen[0] == []
    assert seen[1] == [{"role": "visitor", "text": "hi"}, {"role": "assistant", "text": "Hello!"}]
