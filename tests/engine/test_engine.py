"""The engine through its public API, against small flows, with the package's fakes."""

from __future__ import annotations

import json
import textwrap
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from flowctl.engine import (
    AssistantQuestion,
    AssistantReply,
    Call,
    CallMade,
    Click,
    Conversation,
    Diagnostic,
    EdgeKind,
    Elapse,
    Engine,
    MessageKind,
    Ports,
    Responded,
    Response,
    Say,
    StateError,
    Status,
    Step,
    SubmitForm,
    WaitingFor,
    next_attempt,
    settle,
)
from flowctl.engine.fakes import (
    Canned,
    FakePorts,
    FixedClock,
    ScriptedAgents,
    ScriptedAssistant,
    ScriptedEndpoints,
)
from flowctl.engine.knowledge import KnowledgeBase
from flowctl.loader.project import load_project

CONFIG = """\
project: t
timezone: Europe/Berlin
departments: [sales]
endpoints:
  crm: {url: "https://crm.test/api", method: POST, retries: 2}
"""
START = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))


class Host:
    """A minimal host: one engine, fakes passed with every call, calls settled in process."""

    def __init__(self, engine: Engine, fakes: FakePorts) -> None:
        self.engine = engine
        self.fakes = fakes
        self.ports = fakes.ports()
        self.context: dict[str, Any] = {}

    def start(self, flow: str = "t", **context: Any) -> Step:
        self.context = context
        step = self.engine.start(flow, context, self.ports, conversation_id="c1")
        return settle(self.engine, step, context, self.ports).step

    def handle(self, state: Conversation, event: Any) -> Step:
        step = self.engine.handle(state, event, self.context, self.ports)
        return settle(self.engine, step, self.context, self.ports).step


def make(tmp_path: Path, flow: str, *, answers: dict[str, list[Response]] | None = None,
         assistant: Any = None, agents: dict[str, int] | None = None) -> Host:
    (tmp_path / "flowctl.yaml").write_text(CONFIG)
    (tmp_path / "t.flow.yaml").write_text(textwrap.dedent(flow))
    project, _ = load_project([tmp_path])
    assert not [p for p in project.load_problems], project.load_problems
    endpoints = ScriptedEndpoints({k: tuple(Canned(r) for r in v) for k, v in (answers or {}).items()},
                                  default=Response(200, {"id": 1}))
    fakes = FakePorts(FixedClock(START), endpoints, assistant or ScriptedAssistant(),
                      ScriptedAgents(agents if agents is not None else {"sales": 1}),
                      KnowledgeBase([]))
    return Host(Engine(project), fakes)


def path_of(step: Step) -> list[str]:
    return [e.block for e in step.log if hasattr(e, "block") and type(e).__name__ == "Entered"]


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
    host = make(tmp_path, QUESTION)
    step = host.start(visitor={"name": "Ada"})
    message = step.messages[0]
    assert (message.kind, message.text, message.choices) == (MessageKind.CHOICES, "Size, Ada?",
                                                             ("Small", "Big"))
    step = host.handle(step.state, Click("Big"))
    assert step.state.outcome == "big"
    assert step.state.variables["size"] == "big"
    assert path_of(step) == ["big"]
    assert [(t.flow, t.edge.kind, t.edge.key) for t in step.trace] == [
        ("t", EdgeKind.CHOICE, "ask -choice[Big]-> big"), ("t", EdgeKind.END, "big -end-> (end)")]


def test_typed_label_selects_and_label_is_saved_without_value(tmp_path: Path) -> None:
    host = make(tmp_path, QUESTION)
    step = host.handle(host.start().state, Say("small"))
    assert step.state.variables["size"] == "Small"
    assert step.state.outcome == "small"


def test_invalid_answers_retry_then_on_invalid(tmp_path: Path) -> None:
    host = make(tmp_path, QUESTION)
    first = host.start().state
    step = host.handle(first, Say("medium"))
    assert [m.text for m in step.messages] == ["Pick one please.", "Size, there?"]
    assert step.messages[0].retry and step.state.input_id == first.input_id  # same question
    step = host.handle(step.state, Say("huge"))
    assert step.state.outcome == "lost"
    assert "size" not in step.state.variables


def test_timeout_fires_only_after_the_timeout_and_wake_at_says_when(tmp_path: Path) -> None:
    host = make(tmp_path, QUESTION)
    started = host.start()
    assert started.wake_at == START + timedelta(seconds=60)
    host.fakes.clock.advance(59)
    early = host.handle(started.state, Elapse())
    assert not early.accepted and early.state.status == Status.WAITING and early.log == ()
    host.fakes.clock.advance(1)
    assert host.handle(started.state, Elapse()).state.outcome == "slow"


def test_inputs_the_conversation_does_not_wait_for_are_not_taken(tmp_path: Path) -> None:
    host = make(tmp_path, QUESTION)
    state = host.start().state
    step = host.handle(state, SubmitForm({"x": 1}))
    assert not step.accepted and step.state == state
    ended = host.handle(state, Click("Small")).state
    assert not host.handle(ended, Say("hello?")).accepted


def test_visitor_input_is_data_never_evaluated(tmp_path: Path) -> None:
    host = make(tmp_path, """\
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
    step = host.handle(host.start().state, Say("{{ 7*7 }}"))
    assert step.messages[-1].text == "You said {{ 7*7 }}"


def test_state_round_trips_through_json_and_is_versioned(tmp_path: Path) -> None:
    host = make(tmp_path, QUESTION)
    state = host.start(visitor={"name": "Ada"}).state
    stored = json.loads(json.dumps(state.to_json()))
    assert stored["schema"] == 1 and stored["id"] == "c1" and stored["seq"] == 1
    assert stored["status"] == "waiting" and stored["waiting_for"] == "answer"
    assert "path" not in stored and "edges" not in stored
    restored = Conversation.from_json(stored)
    step = host.handle(restored, Click("Small"))
    assert step.state.outcome == "small" and step.state.seq == 2
    with pytest.raises(StateError, match="newer"):
        Conversation.from_json({**stored, "schema": 99})
    with pytest.raises(StateError):
        Conversation.from_json({**stored, "status": "dancing"})


def test_handle_leaves_the_given_state_alone(tmp_path: Path) -> None:
    host = make(tmp_path, QUESTION)
    state = host.start().state
    before = state.to_json()
    host.handle(state, Click("Big"))
    assert state.to_json() == before


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


def test_data_block_waits_for_the_response_the_host_feeds_back(tmp_path: Path) -> None:
    host = make(tmp_path, DATA)
    step = host.engine.start("t", {"email": "ada@example.com", "size": 250}, host.ports,
                             conversation_id="c9")
    assert step.state.waiting_for == WaitingFor.RESPONSE
    call = step.pending
    assert call is not None and call.awaited and call.key == "c9:push:1"
    assert call.body == {"email": "ada@example.com", "size": 250, "tags": ["a", "b"]}
    assert host.fakes.endpoints.calls == []  # the engine never calls
    assert not host.engine.handle(step.state, Responded("other-key", Response(200)), {},
                                  host.ports).accepted
    done = host.engine.handle(step.state, Responded(call.key, Response(201, {"id": 42})), {},
                              host.ports)
    assert done.state.variables["result"] == {"id": 42}
    assert done.state.outcome == "completed" and done.state.pending is None


def test_data_block_retries_then_takes_on_error(tmp_path: Path) -> None:
    host = make(tmp_path, DATA, answers={"crm": [Response(500), Response(503),
                                                 Response(0, error="timeout")]})
    step = host.start()
    assert len(host.fakes.endpoints.calls) == 3  # one call and the endpoint's two retries
    assert [c.attempt for c, _ in host.fakes.endpoints.calls] == [1, 2, 3]
    assert len({c.key for c, _ in host.fakes.endpoints.calls}) == 1  # one idempotency key
    assert step.state.outcome == "failed"
    assert "result" not in step.state.variables


def test_client_errors_are_not_retried(tmp_path: Path) -> None:
    host = make(tmp_path, DATA, answers={"crm": [Response(422)]})
    assert host.start().state.outcome == "failed"
    assert len(host.fakes.endpoints.calls) == 1


def test_a_call_without_save_or_on_error_does_not_hold_the_flow(tmp_path: Path) -> None:
    host = make(tmp_path, """\
        flow: t
        blocks:
          - {id: push, type: data_update, endpoint: crm, body: {a: 1}}
          - {id: push2, type: data_update, endpoint: crm, body: {a: 2}}
          - {id: done, type: end}
        """)
    step = host.engine.start("t", {}, host.ports, conversation_id="c1")
    assert step.state.outcome == "completed"
    assert [c.key for c in step.calls] == ["c1:push:1", "c1:push2:1"]
    assert not any(c.awaited for c in step.calls)


def test_retry_policy_is_a_pure_function() -> None:
    call = Call("c:b:1", "crm", "POST", "https://x", retries=3)
    assert next_attempt(call, Response(200)) is None
    assert next_attempt(call, Response(404)) is None
    assert next_attempt(call, Response(0, error="egress_refused")) is None
    first = next_attempt(call, Response(503))
    assert first is not None and 0.5 <= first <= 1.0
    assert next_attempt(call, Response(503)) == first  # deterministic
    later = next_attempt(call.retry().retry(), Response(0, error="timeout"))
    assert later is not None and 2.0 <= later <= 4.0
    assert next_attempt(call, Response(429, retry_after=30)) == 30
    assert next_attempt(call, Response(429, retry_after=10_000)) == 60
    assert next_attempt(call.retry().retry().retry(), Response(503)) is None  # retries spent


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
    host = make(tmp_path, ESCALATE, agents={"sales": online})
    step = host.start(visitor={"name": "Ada"})
    assert step.state.outcome == outcome
    if online:
        assert step.state.department == "sales"
        assert step.state.agent_note == "Lead Ada"
        assert step.messages[-1].kind == MessageKind.HANDOFF


def test_a_failing_port_is_a_diagnostic_not_an_exception(tmp_path: Path) -> None:
    class Broken:
        def online(self, department: str | None) -> int:
            raise ConnectionError("presence store down")

        def departments(self) -> dict[str, int]:
            raise ConnectionError("presence store down")

    host = make(tmp_path, ESCALATE)
    ports = Ports(host.fakes.clock, Broken(), host.fakes.assistant, KnowledgeBase([]))
    step = host.engine.start("t", {}, ports)
    assert step.state.outcome == "offline"  # nobody online: the fallback
    assert {d.code for d in step.diagnostics} == {"port"}
    assert all(isinstance(d, Diagnostic) and "presence store down" in d.message
               for d in step.diagnostics)


def test_ai_hands_back_with_reason_and_the_assistant_knows_who_asks(tmp_path: Path) -> None:
    asked: list[AssistantQuestion] = []

    class Recording(ScriptedAssistant):
        def reply(self, question: AssistantQuestion) -> AssistantReply:
            asked.append(question)
            return super().reply(question)

    assistant = Recording({None: (AssistantReply(text="It costs 49 EUR."),
                                  AssistantReply(handoff="asks_for_human"))})
    host = make(tmp_path, """\
        flow: t
        blocks:
          - id: bot
            type: ai
            save: reason
          - id: done
            type: end
        """, assistant=assistant)
    state = host.start().state
    assert state.waiting_for == WaitingFor.AI
    step = host.handle(state, Say("price?"))
    assert step.messages[0].text == "It costs 49 EUR." and step.messages[0].assistant
    step = host.handle(step.state, Say("a human please"))
    assert step.state.variables["reason"] == "asks_for_human"
    assert step.state.outcome == "completed"
    assert (asked[0].flow, asked[0].block, asked[0].message) == ("t", "bot", "price?")
    assert asked[1].history == ({"role": "visitor", "text": "price?"},
                                {"role": "assistant", "text": "It costs 49 EUR."})


FORM = """\
flow: t
blocks:
  - id: contact
    type: form
    fields:
      - {name: email, type: email, required: true, profile: email}
      - {name: phone, type: phone, profile: phone}
      - {name: company, profile: attributes.company}
    save: contact
  - id: done
    type: end
"""


def test_form_updates_profile_and_saves_mapping(tmp_path: Path) -> None:
    host = make(tmp_path, FORM)
    state = host.start().state
    step = host.handle(state, SubmitForm({"company": "Acme"}))
    assert step.state.status == Status.WAITING  # email is required
    assert "email: required" in step.messages[0].text
    step = host.handle(step.state, SubmitForm({"email": "ada@example.com", "company": "Acme"}))
    assert step.state.visitor == {"email": "ada@example.com", "attributes": {"company": "Acme"}}
    assert step.state.variables["contact"]["company"] == "Acme"


def test_form_fields_are_checked_with_the_visitors_region(tmp_path: Path) -> None:
    host = make(tmp_path, FORM)
    state = host.start(visitor={"country": "DE"}).state
    # what the submitted form accepts and what a host checks field by field agree
    assert host.engine.check_field(state, "phone", "030 901820", host.context, host.ports)
    step = host.handle(state, SubmitForm({"email": "ada@example.com", "phone": "030 901820"}))
    assert step.state.visitor["phone"] == "+4930901820"
    awaiting = host.engine.awaiting(state)
    assert awaiting is not None and [f.name for f in awaiting.fields] == ["email", "phone", "company"]


def test_busy_loop_is_stopped(tmp_path: Path) -> None:
    host = make(tmp_path, """\
        flow: t
        blocks:
          - {id: a, type: tag, add: [x], next: b}
          - {id: b, type: tag, add: [y], next: a}
        """)
    step = host.start()
    assert step.state.outcome == "error:loop"
    assert [d.code for d in step.diagnostics] == ["loop"]


def test_goto_continues_in_the_same_conversation(tmp_path: Path) -> None:
    (tmp_path / "other.flow.yaml").write_text(
        "flow: other\nblocks:\n  - {id: hello, type: end, text: 'Hi {{ name }}'}\n")
    host = make(tmp_path, """\
        flow: t
        blocks:
          - {id: remember, type: set, values: {name: Ada}}
          - {id: jump, type: goto, flow: other}
        """)
    step = host.start()
    assert step.messages[-1].text == "Hi Ada"
    assert [(e.flow, e.outcome) for e in step.outcomes] == [("t", "goto:other"),
                                                           ("other", "completed")]
    assert [(t.flow, t.edge.source) for t in step.trace] == [("t", "remember"), ("t", "jump"),
                                                             ("other", "hello")]


def test_one_engine_serves_interleaved_conversations(tmp_path: Path) -> None:
    host = make(tmp_path, QUESTION)
    ada = host.start(visitor={"name": "Ada"}).state
    bob = host.start(visitor={"name": "Bob"}).state
    bob = host.handle(bob, Say("medium")).state
    ada_done = host.handle(ada, Click("Big"))
    assert ada_done.state.outcome == "big" and bob.attempts == 1 and ada.attempts == 0


def test_expression_errors_come_back_with_their_step(tmp_path: Path) -> None:
    host = make(tmp_path, """\
        flow: t
        blocks:
          - {id: hi, type: end, text: "{{ 'x' * 10 ** 9 }}"}
        """)
    step = host.start()
    assert [d.code for d in step.diagnostics] == ["expression"]
    assert host.start().diagnostics == step.diagnostics  # not carried over, not lost


def test_select_says_which_part_of_the_start_condition_is_false(tmp_path: Path) -> None:
    host = make(tmp_path, """\
        flow: t
        start:
          on: [page_view]
          when:
            all:
              - "page.path == '/pricing'"
              - "visitor.country == 'DE'"
        blocks:
          - {id: hi, type: end}
        """)
    decision = host.engine.select({"type": "page_view"}, {"page": {"path": "/pricing"},
                                                           "visitor": {"country": "FR"}}, host.ports)
    verdict = decision.verdicts["t"]
    assert decision.flow is None and not verdict.can_start
    assert "visitor.country == 'DE'" in verdict.reason and verdict.span is not None
    assert verdict.span.line == 7
    assert host.engine.select({"type": "page_view"}, {"page": {"path": "/pricing"},
                                                       "visitor": {"country": "DE"}},
                              host.ports).flow is not None
    assert host.engine.select({"type": "chat_opened"}, {}, host.ports).verdicts["t"].part == "on"


def test_calls_of_a_step_are_in_its_log_in_order(tmp_path: Path) -> None:
    host = make(tmp_path, DATA)
    step = host.start()
    kinds = [type(e).__name__ for e in step.log]
    assert kinds.index("CallMade") < kinds.index("CallSettled") < kinds.index("FlowEnded")
    assert isinstance(step.log[1], CallMade)
