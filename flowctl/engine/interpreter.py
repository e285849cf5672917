"""The interpreter: one deterministic engine for the simulator and the runtime server.

``(state, input, context) → (state, outputs)``.  A step runs blocks until the flow waits
for the visitor (a question, a form, an assistant turn) or ends.  Effects go through the
ports; every transition is recorded as the key of a graph edge, so coverage, analytics and
transcripts all speak of the same edges that ``flowctl lint`` and ``render`` see.

This module holds the loop and the transitions; what each block does when reached is in
:mod:`flowctl.engine.runners`, what a waiting block does with a reply in
:mod:`flowctl.engine.replies`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from flowctl.engine.context import build_context, static_context, with_state
from flowctl.engine.inputs import Click, Elapse, Input, Say, SubmitForm
from flowctl.engine.ports import Ports, Request, Response
from flowctl.engine.replies import handle_reply
from flowctl.engine.runners import run_block
from flowctl.engine.state import ENDED, RUNNING, WAITING, Conversation
from flowctl.model.blocks import Block, BlockBase
from flowctl.model.flow import Flow
from flowctl.model.graph import Edge, adjacency
from flowctl.model.project import Project

#: Blocks one step may run before the engine stops a flow that never waits.
MAX_BLOCKS_PER_STEP = 1_000


@dataclass
class Step:
    """The result of one step: the new state and what the bot sent."""

    state: Conversation
    outputs: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[Request, Response]] = field(default_factory=list)

    @property
    def ended(self) -> bool:
        return self.state.status == ENDED


class _Static(Mapping[str, Any]):
    """A context already resolved for this step (device parsed, agents counted)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)


class FlowError(Exception):
    """A flow asked for something the project does not have (lint reports these)."""


class Interpreter:
    def __init__(self, project: Project, ports: Ports) -> None:
        from flowctl.engine.schedule import ScheduleCalendar
        from flowctl.expr.evaluate import Evaluator, Functions

        self.project = project
        self.ports = ports
        config = project.config
        timezone = config.timezone.name if config and config.timezone else "UTC"
        self.timezone = timezone
        self.calendars = {
            name: ScheduleCalendar.from_model(schedule, timezone)
            for name, schedule in (config.schedules.items() if config else ())
        }
        self.evaluator = Evaluator(Functions(self.calendars, ports.clock.now))
        self.flows = {flow.id: flow for flow in project.flows}

    # -- public API -------------------------------------------------------------------------

    def start(self, flow_id: str, context: Mapping[str, Any],
              state: Conversation | None = None) -> Step:
        """Start ``flow_id`` (in a new conversation, or in ``state`` after a goto)."""
        flow = self._flow(flow_id)
        if state is None:
            state = Conversation(flow=flow.id)
        step = Step(state)
        self.enter_flow(step, flow, context)
        return step

    def handle(self, state: Conversation, event: Input, context: Mapping[str, Any]) -> Step:
        """Feed one visitor input (or the passing of time) to a waiting conversation."""
        step = Step(state.copy())
        state = step.state
        if state.status != WAITING or state.block is None:
            return step
        flow = self._flow(state.flow)
        block = flow.by_id[state.block]
        if isinstance(event, Say | Click):
            state.messages += 1
        handle_reply(self, step, flow, block, event, context)
        return step

    def context_of(self, state: Conversation, context: Mapping[str, Any]) -> dict[str, Any]:
        """The evaluation context: the visitor's context, the state's changes, variables."""
        if isinstance(context, _Static):
            return with_state(context.data, state)
        return build_context(context, state, self.ports)

    # -- running ----------------------------------------------------------------------------

    def _flow(self, flow_id: str) -> Flow:
        flow = self.flows.get(flow_id)
        if flow is None:
            raise FlowError(f"no flow '{flow_id}' in the project")
        return flow

    def enter_flow(self, step: Step, flow: Flow, context: Mapping[str, Any]) -> None:
        state = step.state
        state.flow = flow.id
        state.flows.append(flow.id)
        state.status = RUNNING
        if not flow.blocks:
            self.end(step, "completed")
            return
        self._run(step, flow, flow.blocks[0], context)

    def _run(self, step: Step, flow: Flow, block: Block | None, context: Mapping[str, Any]) -> None:
        """Run blocks from ``block`` until the flow waits or ends."""
        if not isinstance(context, _Static):
            context = _Static(static_context(context, self.ports))
        budget = MAX_BLOCKS_PER_STEP
        while block is not None:
            budget -= 1
            if budget < 0:
                step.state.failures.append({"block": block.id, "error": "loop"})
                self.end(step, "error:loop")
                return
            state = step.state
            state.block = block.id
            state.path.append(block.id)
            block = run_block(self, step, flow, block, context)
            if state.status in (WAITING, ENDED):
                return

    # -- transitions --------------------------------------------------------------------------

    def _edge(self, flow: Flow, block: BlockBase, kinds: tuple[str, ...], label: str = "") -> Edge:
        for edge in adjacency(flow)[block.id]:
            if edge.kind in kinds and (not label or edge.label == label):
                return edge
        raise FlowError(f"block '{block.id}' has no {kinds[0]} edge")  # pragma: no cover

    def record(self, step: Step, flow: Flow, block: BlockBase, kind: str, label: str = "") -> Edge:
        edge = self._edge(flow, block, (kind,) if kind != "continue" else ("next", "fallthrough"),
                          label)
        step.state.edges.append(edge.key)
        return edge

    def follow(self, step: Step, flow: Flow, block: BlockBase, kind: str,
                label: str = "") -> Block | None:
        """Take an edge; return the block it leads to, or end the flow."""
        edge = self.record(step, flow, block, kind, label)
        if edge.target is None:
            self.end(step, edge.outcome or "completed")
            return None
        target = flow.by_id.get(edge.target)
        if target is None:
            step.state.failures.append({"block": block.id, "error": f"no block {edge.target}"})
            self.end(step, "error:target")
            return None
        return target

    def proceed(self, step: Step, flow: Flow, block: BlockBase) -> Block | None:
        return self.follow(step, flow, block, "continue")

    def end(self, step: Step, outcome: str) -> None:
        state = step.state
        state.status = ENDED
        state.waiting_for = None
        state.outcome = outcome
        state.outcomes.append([state.flow, outcome])

    def wait(self, state: Conversation, kind: str) -> None:
        state.status = WAITING
        state.waiting_for = kind
        state.waiting_since = self.ports.clock.now().isoformat()
        state.attempts = 0

    def restart_clock(self, state: Conversation) -> None:
        """Silence is counted from the last thing the bot asked."""
        state.waiting_since = self.ports.clock.now().isoformat()

    def resume(self, step: Step, flow: Flow, block: Block | None,
                context: Mapping[str, Any]) -> None:
        if step.state.status == ENDED:  # the way out ended the flow (no handler): stay ended
            return
        step.state.status = RUNNING
        step.state.waiting_for = None
        if block is not None:
            self._run(step, flow, block, context)


__all__ = ["Click", "Elapse", "FlowError", "Interpreter", "Say", "Step", "SubmitForm"]
