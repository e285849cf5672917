"""One virtual visitor against the flows: start, play the steps, check the expectations.

Semantics (docs: ``*.visitors.yaml`` in the format reference):

* With the file's ``flow:``, that flow starts directly; the event defaults to the flow's
  first start event.  ``expect.started: true`` passes only when its start condition holds
  for this visitor, ``expect.started: false`` only when it does not (the failure names the
  part of the start condition that decided); without ``expect.started`` it need not hold.
* Without ``flow:``, the start conditions of every flow decide, as on the runtime; the
  visitor then needs an ``event``.  ``expect.started: false`` passes only when no flow
  starts.
* Bot messages wait in a queue; ``bot`` matches the next one.  Messages left unmatched
  before ``say``, ``click``, ``form`` or ``wait`` are dropped (allowed).

The visitor drives the engine only through its public API, as the server does: one
compiled :class:`~flowctl.engine.Engine` for all visitors, the ports passed with every call,
calls performed by :func:`~flowctl.engine.settle`.  ``store`` is applied to the state
between steps (the parity test round-trips it through JSON there).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from typing import Any

from flowctl.engine import (
    BotMessage,
    Click,
    Conversation,
    Diagnostic,
    Elapse,
    Engine,
    Input,
    NowError,
    Say,
    StartHistory,
    Step,
    SubmitForm,
    WaitingFor,
    settle,
)
from flowctl.engine.context import plain
from flowctl.engine.knowledge import KnowledgeBase
from flowctl.expr.bounds import LIMIT_PREFIX
from flowctl.model.project import Project
from flowctl.model.span import SourceSpan
from flowctl.model.visitors import (
    AgentsStep,
    BotStep,
    ClickStep,
    FormStep,
    SayStep,
    Visitor,
    VisitorFile,
    WaitStep,
    thaw,
)
from flowctl.model.visitors import Step as ScriptStep
from flowctl.simulate.mocks import visitor_ports
from flowctl.simulate.results import Failure, Turn, VisitorResult
from flowctl.simulate.transcript import describe_message, describe_step, turn_line

Store = Callable[[Conversation], Conversation]


class Stop(Exception):
    """The visitor failed at a step; the run stops there."""


class VisitorRun:
    def __init__(self, engine: Engine, vf: VisitorFile, visitor: Visitor,
                 knowledge: KnowledgeBase, store: Store | None = None) -> None:
        self.engine = engine
        self.project: Project = engine.project
        self.vf = vf
        self.visitor = visitor
        self.store = store or (lambda state: state)
        self.result = VisitorResult(vf.file, visitor.name, visitor.span)
        self.ready = True  # False: the visitor cannot run (its `now` does not parse)
        try:
            self.fakes = visitor_ports(self.project, visitor, knowledge)
        except NowError as error:
            self.fail(f"now: {error}", visitor.span)
            self.ready = False
            self.fakes = visitor_ports(self.project, visitor, knowledge, now=None)
        self.ports = self.fakes.ports()
        self.context: dict[str, Any] = plain(thaw(visitor.context) or {})
        self.state: Conversation | None = None
        self.queue: list[BotMessage] = []  # bot messages not matched yet
        self.log: list[Turn] = []  # transcript so far (what happened and was accepted)
        self.buttons: list[str] = []  # link buttons shown since the last visitor input

    # -- helpers -------------------------------------------------------------------------------

    def fail(self, message: str, span: SourceSpan, diff: str = "") -> None:
        self.result.failures.append(Failure(message, span, diff))

    def where(self) -> str:
        state = self.state
        if state is None:
            return "no flow started"
        if state.ended:
            return f"the flow already ended at block '{state.block}' with outcome '{state.outcome}'"
        if state.waiting:
            return f"the flow waits at block '{state.block}' ({state.waiting_for})"
        return f"the flow is at block '{state.block}'"

    def step_failure(self, index: int, message: str, span: SourceSpan) -> None:
        steps = self.visitor.steps
        expected = [turn_line(t) for t in self.log]
        expected += [describe_step(s) for s in steps[index:]]
        actual = [turn_line(t) for t in self.log]
        actual += ["bot: " + describe_message(m) for m in self.queue]
        actual.append(f"({self.where()})")
        diff = "\n".join(difflib.unified_diff(expected, actual, "expected", "actual", lineterm=""))
        self.fail(message, span, diff)
        raise Stop

    def _drop_unmatched(self) -> None:
        for message in self.queue:
            self.log.append(Turn("bot", describe_message(message), message.block))
        self.queue.clear()

    def _engine(self, index: int | None, span: SourceSpan, call: Callable[[], Step]) -> None:
        """Run one engine call and settle its calls; any problem fails the visitor here."""
        known = len(self.fakes.problems)
        try:
            settled = settle(self.engine, call(), self.context, self.ports)
        except Exception as error:  # an engine bug fails the visitor, not the run
            problem = f"the engine raised {type(error).__name__}: {error}"
        else:
            self._absorb(settled.step)
            self.result.exchanges.extend(settled.exchanges)
            new = self.fakes.problems[known:]
            if not new:
                return
            problem = new[0]
        if index is None:
            self.fail(problem, span)
            raise Stop
        self.step_failure(index, problem, span)

    def _block_span(self, entry: Diagnostic) -> SourceSpan:
        """Where the template of a ``limit`` diagnostic is written (else its block)."""
        flow = self.project.flow(entry.flow)
        if flow is None:
            return self.visitor.span
        source = entry.message.split(": " + LIMIT_PREFIX, 1)[0]
        text = self.project.sources.get(flow.file, "")
        at = text.find(source) if source else -1
        if at >= 0:
            return SourceSpan(flow.file, text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at))
        block = flow.block(entry.block)
        return block.span if block is not None else flow.span

    def _absorb(self, step: Step) -> None:
        self.state = self.store(step.state)
        self.result.state = self.state
        self.result.trace.extend(step.log)
        for entry in step.log:  # a template over a resource bound fails the run at its block
            if isinstance(entry, Diagnostic) and entry.code == "limit":
                self.fail(entry.message.replace(LIMIT_PREFIX, "", 1), self._block_span(entry))
        for message in step.messages:
            self.queue.append(message)
            self.result.transcript.append(Turn("bot", describe_message(message), message.block))
            self.buttons.extend(b.label for b in message.buttons)

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
                          "visitor (or in `defaults`) to decide which flow starts", span)
                return False
            event = {"type": "", "name": "", "message": "", "data": {}}
        self.context["event"] = event
        try:
            decision = self.engine.select(event, self.context, self.ports, StartHistory())
        except Exception as error:  # an engine bug fails the visitor, not the run
            self.fail(f"choosing the flow to start raised {type(error).__name__}: {error}", span)
            return False
        self.result.start_reasons = dict(decision.reasons)
        if self.vf.flow is not None:
            flow_id = self.vf.flow.name
            if self.project.flow(flow_id) is None:
                self.fail(f"'{flow_id}' is not a flow of the project", self.vf.flow.span)
                return False
            verdict = decision.verdicts[flow_id]
            self.result.would_start = verdict.can_start
            if expect is not None and expect.started is False:
                if verdict.can_start:
                    self.fail(f"flow '{flow_id}' would start for this visitor "
                              f"(event {_event_name(event)})", expect.span)
                return False
            if expect is not None and expect.started is True and not verdict.can_start:
                where = f" (line {verdict.span.line})" if verdict.span and verdict.span.line else ""
                self.fail(f"flow '{flow_id}' would not start for this visitor: it "
                          f"{verdict.reason}{where}", expect.span)
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
        self._engine(None, span, lambda: self.engine.start(
            flow_id, self.context, self.ports, conversation_id=f"visitor-{self.visitor.span.line}"))
        return True

    # -- steps -------------------------------------------------------------------------------------

    def run_steps(self) -> None:
        for index, step in enumerate(self.visitor.steps):
            if isinstance(step, BotStep):
                self._bot(index, step)
            elif isinstance(step, AgentsStep):
                self._agents(step)
            else:
                self._input(index, step)

    def _bot(self, index: int, step: BotStep) -> None:
        from flowctl.simulate.expect import bot_mismatch

        if not self.queue:
            self.step_failure(index, f"expected a bot message ({describe_step(step)[5:]}), but "
                              f"there is none ({self.where()})", step.span)
        message = self.queue[0]
        problem = bot_mismatch(step, message)
        if problem is not None:
            self.step_failure(index, problem, step.span)
        self.queue.pop(0)
        self.log.append(Turn("bot", describe_message(message), message.block))

    def _agents(self, step: AgentsStep) -> None:
        self.fakes.agents.update(thaw(step.agents) or {})
        text = json.dumps(thaw(step.agents), ensure_ascii=False, default=str)
        self.log.append(Turn("agents", text))
        self.result.transcript.append(Turn("agents", text))

    def _input(self, index: int, step: ScriptStep) -> None:
        state = self.state
        assert state is not None
        if state.ended:
            self.step_failure(index, f"{_step_name(step)} after the end: {self.where()}", step.span)
        event: Input
        if isinstance(step, SayStep):
            event = Say(step.text)
            turn = Turn("you", step.text)
        elif isinstance(step, ClickStep):
            awaiting = self.engine.awaiting(state)
            choices = list(awaiting.choices) if awaiting and awaiting.kind == WaitingFor.ANSWER else []
            if step.label not in choices:
                if step.label in self.buttons:
                    self._drop_unmatched()
                    turn = Turn("you", f"[click] {step.label} (link)")
                    self.log.append(turn)
                    self.result.transcript.append(turn)
                    return
                labels = choices + [b for b in self.buttons if b not in choices]
                shown = ", ".join(f"'{label}'" for label in labels) if labels else "none"
                self.step_failure(index, f"cannot click '{step.label}': the labels on offer "
                                  f"are {shown} ({self.where()})", step.span)
            event = Click(step.label)
            turn = Turn("you", f"[click] {step.label}")
        elif isinstance(step, FormStep):
            if state.waiting_for != WaitingFor.FORM:
                self.step_failure(index, f"no form is open ({self.where()})", step.span)
            values = thaw(step.values) or {}
            event = SubmitForm(dict(values))
            turn = Turn("you", "[form] " + json.dumps(values, ensure_ascii=False, default=str))
        else:
            assert isinstance(step, WaitStep)
            self.fakes.clock.advance(step.seconds)
            event = Elapse()
            turn = Turn("time", f"{step.seconds:g} s pass")
        self._drop_unmatched()
        self.log.append(turn)
        self.result.transcript.append(turn)
        if not isinstance(event, Elapse):
            self.buttons = []
        self._engine(index, step.span,
                     lambda: self.engine.handle(state, event, self.context, self.ports))


def _step_name(step: ScriptStep) -> str:
    return {SayStep: "say", ClickStep: "click", FormStep: "form", WaitStep: "wait",
            AgentsStep: "agents", BotStep: "bot"}[type(step)]


def _event_name(event: dict[str, Any]) -> str:
    kind = str(event.get("type") or "?")
    return f"custom:{event.get('name')}" if kind == "custom" else kind

