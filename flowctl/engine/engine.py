"""The compiled project: one :class:`Engine` serves any number of conversations.

See :mod:`flowctl.engine` for the contract.  Compiling reads the project once: flows by id,
their graphs, every text template, the schedules as calendars, the endpoints.  ``start``,
``handle`` and ``select`` take the state, the context and the ports of *this* call and keep
nothing between calls, so one engine can drive many conversations at once (each step runs
to completion synchronously; expression errors are collected per step).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flowctl.engine.effects import Awaiting, Diagnostic, Step
from flowctl.engine.inputs import Input
from flowctl.engine.ports import Ports
from flowctl.engine.run import Compiled, StepRun
from flowctl.engine.runners import run_block
from flowctl.engine.start import Decision, StartHistory, choose, verdict_for
from flowctl.engine.state import Conversation, StateError, WaitingFor
from flowctl.model.blocks import FormBlock, QuestionBlock
from flowctl.model.flow import Flow
from flowctl.model.graph import adjacency
from flowctl.model.project import Project


class FlowError(LookupError):
    """A host asked for a flow or block that the compiled project does not have."""


class Engine:
    """A project compiled for running.  Thread-compatible: no state between calls."""

    def __init__(self, project: Project) -> None:
        from flowctl.expr.evaluate import Evaluator, Functions
        from flowctl.expr.schedule import ScheduleCalendar, project_zone

        self.project = project
        config = project.config
        self.zone = project_zone(project)
        self.calendars = {name: ScheduleCalendar.from_model(schedule, self.zone)
                          for name, schedule in (config.schedules.items() if config else ())}
        self.evaluator = Evaluator(Functions(self.calendars))
        self.flows: dict[str, Flow] = {}
        for flow in project.flows:
            self.flows.setdefault(flow.id, flow)
            adjacency(flow)  # the graph, built once and cached per flow
            self.evaluator.prepare(t.source for block in flow.blocks for _, t in block.templates())
        self._compiled = Compiled(self.flows, self.evaluator,
                                  dict(config.endpoints) if config else {}, self.zone, run_block)

    # -- conversations --------------------------------------------------------------------------

    def start(self, flow_id: str, context: Mapping[str, Any], ports: Ports, *,
              conversation_id: str = "") -> Step:
        """Start ``flow_id`` in a new conversation; run it until it waits or ends."""
        flow = self.flow(flow_id)
        state = Conversation(flow=flow.id, id=conversation_id, seq=1)
        run = StepRun(self._compiled, state, context, ports)
        self._steps(run, lambda: run.enter_flow(flow))
        return run.step()

    def handle(self, state: Conversation, event: Input, context: Mapping[str, Any],
               ports: Ports) -> Step:
        """Feed one input to a conversation; ``state`` itself is left unchanged.

        An input the conversation does not wait for (text while a form is open, a timeout
        not yet due, anything after the end) is not taken: ``accepted`` is False and the
        state comes back as it was.
        """
        from flowctl.engine.replies import handle_input

        if not state.waiting or state.block is None:
            return Step(state.copy(), (), accepted=False)
        flow = self.flow(state.flow)
        block = flow.by_id.get(state.block)
        if block is None:
            raise StateError(f"flow '{flow.id}' has no block '{state.block}' (was the project "
                             "changed under a running conversation?)")
        new = state.copy()
        new.seq += 1
        run = StepRun(self._compiled, new, context, ports)
        taken: list[bool] = []
        self._steps(run, lambda: taken.append(handle_input(run, flow, block, event)))
        if not taken or not taken[0]:
            return Step(state.copy(), tuple(e for e in run.log if isinstance(e, Diagnostic)),
                        accepted=False)
        return run.step()

    def select(self, event: Mapping[str, Any], context: Mapping[str, Any], ports: Ports,
               history: StartHistory | None = None) -> Decision:
        """Which flow starts for ``event`` (``{"type", "name", ...}``) in this context."""
        history = history or StartHistory()
        run = StepRun(self._compiled, Conversation(flow=""), {**context, "event": dict(event)},
                      ports)
        ctx = run.ctx()
        verdicts = {flow.id: verdict_for(flow, event, ctx, history, self.evaluator,
                                         self.calendars, self.zone)
                    for flow in self.project.flows}
        return Decision(choose(self.project.flows, verdicts), verdicts)

    # -- questions about a conversation ---------------------------------------------------------

    def awaiting(self, state: Conversation) -> Awaiting | None:
        """What a waiting conversation accepts now; None when it waits for nothing."""
        if not state.waiting or state.block is None or state.waiting_for is None:
            return None
        block = self.flow(state.flow).by_id.get(state.block)
        from datetime import datetime

        from flowctl.engine.messages import FieldSpec

        expires = datetime.fromisoformat(state.expires_at) if state.expires_at else None
        choices: tuple[str, ...] = ()
        fields: tuple[FieldSpec, ...] = ()
        free_text = state.waiting_for in (WaitingFor.ANSWER, WaitingFor.AI)
        if isinstance(block, QuestionBlock):
            choices = tuple(choice.label for choice in block.choices)
            free_text = not block.choices or block.allow_other or block.expect != "choice"
        if isinstance(block, FormBlock):
            fields = tuple(FieldSpec(f.name, _plain_label(f.label, f.name), f.type, f.required,
                                     tuple(f.options)) for f in block.form_fields)
        call = state.pending.get("key") if state.pending else None
        return Awaiting(state.input_id or "", state.flow, state.block, state.waiting_for,
                        choices, fields, free_text, expires, call)

    def context(self, state: Conversation, context: Mapping[str, Any], ports: Ports) -> dict[str, Any]:
        """The evaluation context a block of ``state`` sees (what templates can read)."""
        return StepRun(self._compiled, state.copy(), context, ports).ctx()

    def check_field(self, state: Conversation, name: str, value: Any,
                    context: Mapping[str, Any], ports: Ports) -> bool:
        """Would the open form accept ``value`` for field ``name``?  (With the visitor's
        region, exactly as the submitted form is checked.)"""
        from flowctl.engine.replies import region_of
        from flowctl.engine.validation import validate_field

        block = self.flow(state.flow).by_id.get(state.block or "")
        if not isinstance(block, FormBlock):
            return False
        form_field = next((f for f in block.form_fields if f.name == name), None)
        if form_field is None:
            return False
        ok, _ = validate_field(form_field, value, region_of(self.context(state, context, ports)))
        return ok

    def flow(self, flow_id: str) -> Flow:
        flow = self.flows.get(flow_id)
        if flow is None:
            raise FlowError(f"no flow '{flow_id}' in the project")
        return flow

    # -- internals ------------------------------------------------------------------------------

    def _steps(self, run: StepRun, body: Any) -> None:
        from flowctl.expr.bounds import LIMIT_PREFIX
        from flowctl.expr.evaluate import collect_errors

        with collect_errors() as errors:
            body()
        for source, message in errors:
            code = "limit" if message.startswith(LIMIT_PREFIX) else "expression"
            run.log.append(Diagnostic(code, f"{source}: {message}", run.state.flow,
                                      run.state.block or ""))


def _plain_label(label: Any, name: str) -> str:
    """A field's label when it needs no rendering (the form message has the rendered one)."""
    source = getattr(label, "source", None)
    return source if isinstance(source, str) and "{" not in source else name
