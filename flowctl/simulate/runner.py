"""Run virtual visitors against the flows: steps in, a :class:`VisitorResult` out.

Semantics (docs: ``*.visitors.yaml`` in the format reference):

* With the file's ``flow:``, that flow starts directly; the event defaults to the flow's
  first start event.  Its start condition need not hold (``would_start`` records whether
  it would have), except that ``expect.started: false`` passes only when it would not.
* Without ``flow:``, the start conditions of every flow decide (``select_flow``), as on the
  runtime; the visitor then needs an ``event``.  ``expect.started: false`` passes only when
  no flow starts.
* Bot messages wait in a queue; ``bot`` matches the next one.  Messages left unmatched
  before ``say``, ``click``, ``form`` or ``wait`` are dropped (allowed).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flowctl.engine.context import plain
from flowctl.engine.inputs import Click, Elapse, Input, Say, SubmitForm
from flowctl.engine.interpreter import FlowError, Interpreter
from flowctl.engine.interpreter import Step as EngineStep
from flowctl.engine.knowledge import KnowledgeBase
from flowctl.engine.ports import Request, Response
from flowctl.engine.schedule import project_zone
from flowctl.engine.start import StartHistory, select_flow
from flowctl.engine.state import ENDED, WAITING, Conversation
from flowctl.model.project import Project
from flowctl.model.span import SourceSpan
from flowctl.model.visitors import (
    AgentsStep,
    BotStep,
    ClickStep,
    Expect,
    ExpectedRequest,
    FormStep,
    SayStep,
    Visitor,
    VisitorFile,
    WaitStep,
    thaw,
)
from flowctl.model.visitors import Step as ScriptStep
from flowctl.simulate.match import subset_mismatch, text_matches
from flowctl.simulate.mocks import (
    MockAssistant,
    MockEndpoints,
    ScriptedAgents,
    ScriptedClock,
    Unmocked,
    VisitorPorts,
    parse_now,
)


@dataclass
class Failure:
    message: str
    span: SourceSpan
    diff: str = ""  # unified diff of expected and actual transcript (step mismatches)

    @property
    def line(self) -> int:
        return self.span.line

    @property
    def column(self) -> int:
        return self.span.column


@dataclass
class Turn:
    """One line of the transcript: who (``bot``, ``you``, ``time``, ``agents``, ``note``)."""

    who: str
    text: str
    block: str | None = None


@dataclass
class VisitorResult:
    file: str
    name: str
    span: SourceSpan
    failures: list[Failure] = field(default_factory=list)
    started: str | None = None  # the flow that started
    would_start: bool | None = None  # with `flow:`: would its start condition have held?
    start_reasons: dict[str, str] = field(default_factory=dict)
    state: Conversation | None = None
    transcript: list[Turn] = field(default_factory=list)
    requests: list[tuple[Request, Response]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def flow(self) -> str | None:
        return self.started

    @property
    def outcome(self) -> str | None:
        return self.state.outcome if self.state is not None and self.state.ended else None

    @property
    def path(self) -> list[str]:
        return list(self.state.path) if self.state is not None else []


@dataclass
class FileResult:
    file: str
    visitors: list[VisitorResult]


@dataclass
class SimulationResult:
    files: list[FileResult]
    project: Project

    @property
    def visitors(self) -> list[VisitorResult]:
        return [v for f in self.files for v in f.visitors]

    @property
    def passed(self) -> int:
        return sum(1 for v in self.visitors if v.passed)

    @property
    def failed(self) -> int:
        return sum(1 for v in self.visitors if not v.passed)


# -- transcript lines -----------------------------------------------------------------------------


def message_text(message: Mapping[str, Any]) -> str:
    """The text a ``bot`` step's pattern is matched against."""
    text = message.get("text")
    if isinstance(text, str) and text:
        return text
    if message.get("type") == "form":
        return str(message.get("title") or "")
    return ""


def describe_message(message: Mapping[str, Any]) -> str:
    """One transcript line for a bot message (without the ``bot:`` prefix)."""
    kind = message.get("type")
    parts = [message_text(message)] if message_text(message) else []
    if kind == "choices":
        parts.append("[" + " | ".join(str(c) for c in message.get("choices") or []) + "]")
    elif kind == "buttons":
        parts.append("[" + " | ".join(f"{b.get('label')} -> {b.get('url')}"
                                      for b in message.get("buttons") or []) + "]")
    if kind == "image" or message.get("image"):
        image = message.get("image") or {}
        parts.append(f"[image: {image.get('url')}]")
    if kind == "form":
        fields = ", ".join(str(f.get("name")) for f in message.get("fields") or [])
        parts.append(f"[form: {fields}]")
    elif kind == "articles":
        titles = " | ".join(str(a.get("title")) for a in message.get("articles") or [])
        parts.append(f"[articles: {titles}]")
    elif kind == "handoff":
        parts.append(f"[handoff to {message.get('department') or 'any department'}]")
    return " ".join(parts) if parts else f"[{kind}]"


def describe_step(step: ScriptStep) -> str:
    """One line of the expected transcript for a script step."""
    if isinstance(step, BotStep):
        parts = [step.text] if step.text is not None else []
        if step.choices is not None:
            parts.append("[" + " | ".join(step.choices) + "]")
        if step.buttons is not None:
            parts.append("[" + " | ".join(step.buttons) + "]")
        if step.image is not None:
            parts.append(f"[image: {step.image}]")
        if step.kind is not None:
            parts.append(f"(type {step.kind})")
        return "bot: " + (" ".join(parts) if parts else "(any message)")
    if isinstance(step, SayStep):
        return f"visitor: {step.text}"
    if isinstance(step, ClickStep):
        return f"visitor: [click] {step.label}"
    if isinstance(step, FormStep):
        return "visitor: [form] " + json.dumps(thaw(step.values), ensure_ascii=False, default=str)
    if isinstance(step, WaitStep):
        return f"wait: {step.seconds:g} s"
    return "agents: " + json.dumps(thaw(step.agents), ensure_ascii=False, default=str)


def turn_line(turn: Turn) -> str:
    who = "visitor" if turn.who == "you" else turn.who
    return f"{who}: {turn.text}"


# -- running one visitor --------------------------------------------------------------------------


class _Stop(Exception):
    """The visitor failed at a step; the run stops there."""


class VisitorRun:
    def __init__(self, project: Project, vf: VisitorFile, visitor: Visitor,
                 knowledge: KnowledgeBase | None = None) -> None:
        self.project = project
        self.vf = vf
        self.visitor = visitor
        self.result = VisitorResult(vf.file, visitor.name, visitor.span)
        zone = project_zone(project)
        self.clock = ScriptedClock(parse_now(visitor.now, zone))
        knowledge = knowledge or KnowledgeBase(project.articles)
        self.mocks = VisitorPorts(
            clock=self.clock,
            endpoints=MockEndpoints(visitor.mocks.endpoints, self.clock),
            assistant=MockAssistant(visitor.mocks.ai, project, knowledge),
            agents=ScriptedAgents.of(visitor.agents),
            knowledge=knowledge,
        )
        self.interpreter = Interpreter(project, self.mocks.ports())
        self.context: dict[str, Any] = plain(thaw(visitor.context) or {})
        self.state: Conversation | None = None
        self.queue: list[dict[str, Any]] = []  # bot messages not matched yet
        self.log: list[Turn] = []  # transcript so far (what happened and was accepted)
        self.buttons: list[str] = []  # link buttons shown since the last visitor input
        self.shown: list[dict[str, Any]] = []  # every bot message so far

    # -- helpers -------------------------------------------------------------------------------

    def fail(self, message: str, span: SourceSpan, diff: str = "") -> None:
        self.result.failures.append(Failure(message, span, diff))

    def _absorb(self, step: EngineStep) -> None:
        self.state = step.state
        self.result.state = step.state
        self.result.requests.extend(step.requests)
        self.shown.extend(step.outputs)
        for message in step.outputs:
            self.queue.append(message)
            self.result.transcript.append(Turn("bot", describe_message(message),
                                               message.get("block")))
            if message.get("type") == "buttons":
                self.buttons.extend(str(b.get("label")) for b in message.get("buttons") or [])

    def _where(self) -> str:
        state = self.state
        if state is None:
            return "no flow started"
        if state.ended:
            return f"the flow already ended at block '{state.block}' with outcome '{state.outcome}'"
        if state.status == WAITING:
            return f"the flow waits at block '{state.block}' ({state.waiting_for})"
        return f"the flow is at block '{state.block}'"

    def _step_failure(self, index: int, message: str, span: SourceSpan) -> None:
        steps = self.visitor.steps
        expected = [turn_line(t) for t in self.log]
        expected += [describe_step(s) for s in steps[index:]]
        actual = [turn_line(t) for t in self.log]
        actual += ["bot: " + describe_message(m) for m in self.queue]
        actual.append(f"({self._where()})")
        diff = "\n".join(difflib.unified_diff(expected, actual, "expected", "actual", lineterm=""))
        self.fail(message, span, diff)
        raise _Stop

    def _drop_unmatched(self) -> None:
        for message in self.queue:
            self.log.append(Turn("bot", describe_message(message), message.get("block")))
        self.queue.clear()

    def _engine(self, index: int, span: SourceSpan, call: Any) -> None:
        try:
            step = call()
        except Unmocked as error:
            self._step_failure(index, error.message, span)
        except FlowError as error:
            self._step_failure(index, f"the engine stopped: {error}", span)
        except Exception as error:  # an engine bug fails the visitor, not the run
            self._step_failure(index, f"the engine raised {type(error).__name__}: {error}", span)
        self._absorb(step)

    # -- start -----------------------------------------------------------------------------------

    def _event(self) -> dict[str, Any] | None:
        event = dict(self.context.get("event") or {})
        ref = self.visitor.event
        if ref is not None:
            event["type"] = ref.type
            if ref.name:
                event["name"] = ref.name
        elif "type" not in event and self.vf.flow is not None:
            flow = self.project.flow(self.vf.flow.name)
            if flow is not None and flow.start is not None and flow.start.on:
                first = flow.start.on[0]
                event["type"] = first.type
                if first.name:
                    event["name"] = first.name
        if "type" not in event:
            return None
        event.setdefault("name", "")
        event.setdefault("message", "")
        event.setdefault("data", {})
        return event

    def start(self) -> bool:
        expect = self.visitor.expect
        span = self.visitor.span
        event = self._event()
        if event is None:
            if self.vf.flow is None:
                self.fail("no event: a visitors file without `flow:` needs `event:` on each "
                          "visitor (or in `defaults`) to decide which flow starts",
                          span)
                return False
            event = {"type": "", "name": "", "message": "", "data": {}}
        self.context["event"] = event
        try:
            decision = select_flow(self.interpreter, event, self.context, StartHistory())
        except Exception as error:  # an engine bug fails the visitor, not the run
            self.fail(f"choosing the flow to start raised {type(error).__name__}: {error}", span)
            return False
        self.result.start_reasons = dict(decision.reasons)
        if self.vf.flow is not None:
            flow_id = self.vf.flow.name
            if self.project.flow(flow_id) is None:
                self.fail(f"'{flow_id}' is not a flow of the project", self.vf.flow.span)
                return False
            self.result.would_start = decision.reasons.get(flow_id) == "can start"
            if expect is not None and expect.started is False:
                if self.result.would_start:
                    self.fail(f"flow '{flow_id}' would start for this visitor "
                              f"(event {_event_name(event)})", expect.span)
                return False
        else:
            if decision.flow is None:
                if expect is not None and expect.started is False:
                    return False
                why = "; ".join(f"{k}: {v}" for k, v in decision.reasons.items())
                self.fail(f"no flow started for event {_event_name(event)}"
                          + (f" ({why})" if why else ""),
                          expect.span if expect is not None and expect.started else span)
                return False
            flow_id = decision.flow.id
            if expect is not None and expect.started is False:
                self.result.started = flow_id
                self.fail(f"flow '{flow_id}' started, but the visitor expects no flow to start",
                          expect.span)
                return False
        self.result.started = flow_id
        try:
            step = self.interpreter.start(flow_id, self.context)
        except Unmocked as error:
            self.fail(error.message, span)
            return False
        except FlowError as error:
            self.fail(f"the engine stopped: {error}", span)
            return False
        except Exception as error:  # an engine bug fails the visitor, not the run
            self.fail(f"the engine raised {type(error).__name__}: {error}", span)
            return False
        self._absorb(step)
        return True

    # -- steps -------------------------------------------------------------------------------------

    def run_steps(self) -> None:
        for index, step in enumerate(self.visitor.steps):
            if isinstance(step, BotStep):
                self._bot(index, step)
            elif isinstance(step, AgentsStep):
                self._agents(index, step)
            else:
                self._input(index, step)

    def _bot(self, index: int, step: BotStep) -> None:
        if not self.queue:
            self._step_failure(index, f"expected a bot message ({_expected_of(step)}), but "
                               f"there is none ({self._where()})", step.span)
        message = self.queue[0]
        problem = bot_mismatch(step, message)
        if problem is not None:
            self._step_failure(index, problem, step.span)
        self.queue.pop(0)
        self.log.append(Turn("bot", describe_message(message), message.get("block")))

    def _agents(self, index: int, step: AgentsStep) -> None:
        self.mocks.agents.update(thaw(step.agents) or {})
        text = json.dumps(thaw(step.agents), ensure_ascii=False, default=str)
        self.log.append(Turn("agents", text))
        self.result.transcript.append(Turn("agents", text))

    def _input(self, index: int, step: ScriptStep) -> None:
        state = self.state
        assert state is not None
        if state.ended:
            self._step_failure(index, f"{_step_name(step)} after the end: {self._where()}",
                               step.span)
        event: Input
        if isinstance(step, SayStep):
            event = Say(step.text)
            turn = Turn("you", step.text)
        elif isinstance(step, ClickStep):
            choices = self._choices()
            if step.label not in choices:
                if step.label in self.buttons:
                    self._drop_unmatched()
                    turn = Turn("you", f"[click] {step.label} (link)")
                    self.log.append(turn)
                    self.result.transcript.append(turn)
                    return
                labels = choices + [b for b in self.buttons if b not in choices]
                shown = ", ".join(f"'{label}'" for label in labels) if labels else "none"
                self._step_failure(index, f"cannot click '{step.label}': the labels on offer "
                                   f"are {shown} ({self._where()})", step.span)
            event = Click(step.label)
            turn = Turn("you", f"[click] {step.label}")
        elif isinstance(step, FormStep):
            if state.waiting_for != "form":
                self._step_failure(index, f"no form is open ({self._where()})", step.span)
            values = thaw(step.values) or {}
            event = SubmitForm(dict(values))
            turn = Turn("you", "[form] " + json.dumps(values, ensure_ascii=False, default=str))
        else:
            assert isinstance(step, WaitStep)
            self.clock.advance(step.seconds)
            event = Elapse()
            turn = Turn("time", f"{step.seconds:g} s pass")
        self._drop_unmatched()
        self.log.append(turn)
        self.result.transcript.append(turn)
        self.buttons = [] if not isinstance(event, Elapse) else self.buttons
        self.mocks.assistant.block = state.block or ""
        self._engine(index, step.span, lambda: self.interpreter.handle(state, event, self.context))

    def _choices(self) -> list[str]:
        """The labels of the question the flow waits at (its last choices message)."""
        state = self.state
        if state is None or state.status != WAITING or state.waiting_for != "answer":
            return []
        for turn_message in reversed(self.shown):
            if turn_message.get("type") == "choices" and turn_message.get("block") == state.block:
                return [str(c) for c in turn_message.get("choices") or []]
        return []

    # -- expectations -----------------------------------------------------------------------------

    def check(self, expect: Expect) -> None:
        state = self.state
        if state is None:
            return
        if expect.started is True and self.result.started is None:
            self.fail("no flow started", expect.span)
        if expect.flow is not None and expect.flow.name != self.result.started:
            ran = ", ".join(state.flows)
            self.fail(f"expected flow '{expect.flow.name}', but '{self.result.started}' started"
                      + (f" (flows run: {ran})" if len(state.flows) > 1 else ""),
                      expect.flow.span)
        if expect.outcome is not None:
            # Any flow run counts: a flow that jumps with goto ends with `goto:<flow>` while
            # the conversation goes on in that flow.
            outcomes = [str(outcome) for _, outcome in state.outcomes]
            if expect.outcome not in outcomes:
                if not outcomes:
                    self.fail(f"expected outcome '{expect.outcome}', but the flow has not "
                              f"ended: {self._where()}", expect.span)
                else:
                    got = ", ".join(f"'{flow}' ended with '{outcome}'"
                                    for flow, outcome in state.outcomes)
                    self.fail(f"expected outcome '{expect.outcome}', got: {got}"
                              + (f" (ended at block '{state.block}')" if state.ended else
                                 f" ({self._where()})"), expect.span)
        if expect.department is not None and state.department != expect.department.name:
            got = f"'{state.department}'" if state.department else "no escalation"
            self.fail(f"expected department '{expect.department.name}', got {got}",
                      expect.department.span)
        if expect.tags is not None:
            missing = [t for t in expect.tags if t not in state.tags]
            if missing:
                self.fail(f"missing tags: {', '.join(missing)} (chat tags: "
                          f"{', '.join(state.tags) or 'none'})", expect.span)
        if expect.variables is not None:
            problem = subset_mismatch(thaw(expect.variables), state.variables)
            if problem:
                self.fail(f"variables: {problem}", expect.span)
        if expect.visitor is not None:
            profile = self.interpreter.context_of(state, self.context)["visitor"]
            problem = subset_mismatch(thaw(expect.visitor), profile)
            if problem:
                self.fail(f"visitor: {problem}", expect.span)
        if expect.requests is not None:
            self._check_requests(expect.requests)
        if expect.path is not None:
            wanted = [ref.name for ref in expect.path]
            if wanted != state.path:
                span = expect.path[0].span if expect.path else expect.span
                self.fail(f"expected path {' > '.join(wanted) or '(empty)'}, got "
                          f"{' > '.join(state.path) or '(empty)'}", span)

    def _check_requests(self, expected: Iterable[ExpectedRequest]) -> None:
        calls = self.result.requests
        position = 0
        for wanted in expected:
            problems: list[str] = []
            for index in range(position, len(calls)):
                problem = request_mismatch(wanted, calls[index][0])
                if problem is None:
                    position = index + 1
                    break
                problems.append(problem)
            else:
                made = "; ".join(f"{r.endpoint} {r.method} {json.dumps(r.body, default=str)}"
                                 for r, _ in calls[position:]) or "none"
                closest = f"; closest: {problems[0]}" if problems else ""
                self.fail(f"expected a call to '{wanted.endpoint.name}' that was not made "
                          f"(calls after the previous match: {made}){closest}", wanted.span)
                return



def request_mismatch(wanted: ExpectedRequest, request: Request) -> str | None:
    if request.endpoint != wanted.endpoint.name:
        return f"endpoint {request.endpoint}"
    if wanted.method is not None and wanted.method.upper() != request.method.upper():
        return f"method {request.method}"
    for part, value in (("body", request.body), ("query", request.query),
                        ("headers", request.headers)):
        expected = getattr(wanted, part)
        if expected is not None:
            problem = subset_mismatch(thaw(expected), value)
            if problem:
                return f"{part}: {problem}"
    return None


def bot_mismatch(step: BotStep, message: Mapping[str, Any]) -> str | None:
    """Why ``message`` does not match the ``bot`` step; ``None`` when it does."""
    actual = describe_message(message)
    if step.kind is not None and message.get("type") != step.kind:
        return f"expected a bot message of type '{step.kind}', got '{message.get('type')}': {actual}"
    if step.text is not None and not text_matches(step.text, message_text(message)):
        return f"bot message does not match {step.text!r}: got {message_text(message)!r}"
    if step.choices is not None:
        got = [str(c) for c in message.get("choices") or []]
        if got != list(step.choices):
            return f"expected choices {list(step.choices)}, got {got}"
    if step.buttons is not None:
        got = [str(b.get("label")) for b in message.get("buttons") or []]
        if got != list(step.buttons):
            return f"expected buttons {list(step.buttons)}, got {got}"
    if step.image is not None:
        url = str((message.get("image") or {}).get("url") or "")
        if not text_matches(step.image, url):
            return f"expected image {step.image!r}, got {url or 'no image'!r}"
    return None


def _expected_of(step: BotStep) -> str:
    return describe_step(step)[len("bot: "):]


def _step_name(step: ScriptStep) -> str:
    return {SayStep: "say", ClickStep: "click", FormStep: "form", WaitStep: "wait",
            AgentsStep: "agents", BotStep: "bot"}[type(step)]


def _event_name(event: Mapping[str, Any]) -> str:
    kind = str(event.get("type") or "?")
    return f"custom:{event.get('name')}" if kind == "custom" else kind


# -- public API ---------------------------------------------------------------------------------


def run_visitor(project: Project, visitor_file: VisitorFile, visitor: Visitor,
                knowledge: KnowledgeBase | None = None) -> VisitorResult:
    run = VisitorRun(project, visitor_file, visitor, knowledge)
    try:
        if run.start():
            run.run_steps()
            if visitor.expect is not None:
                run.check(visitor.expect)
    except _Stop:
        pass
    return run.result


def run_file(project: Project, visitor_file: VisitorFile,
             knowledge: KnowledgeBase | None = None) -> FileResult:
    knowledge = knowledge or KnowledgeBase(project.articles)
    return FileResult(visitor_file.file,
                      [run_visitor(project, visitor_file, v, knowledge)
                       for v in visitor_file.visitors])


def run_project(project: Project, files: Iterable[str] | None = None) -> SimulationResult:
    """Run the visitors files among ``files`` (display paths; all when ``None``)."""
    wanted = set(files) if files is not None else None
    knowledge = KnowledgeBase(project.articles)
    results = [run_file(project, vf, knowledge) for vf in project.visitor_files
               if wanted is None or vf.file in wanted]
    return SimulationResult(results, project)


__all__ = ["ENDED", "Failure", "FileResult", "SimulationResult", "Turn", "VisitorResult",
           "run_file", "run_project", "run_visitor"]
