"""One step in progress: the narrow object the block runners and reply handlers work on.

A :class:`StepRun` holds the conversation being changed, the log of what happened, the
context of this step and the ports of this call; it knows how to take an edge, wait, end,
and record effects.  It reaches the compiled project only through :class:`Compiled`
(flows, the evaluator, endpoints), never through the host.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from flowctl.engine.context import static_context, with_state
from flowctl.engine.effects import (
    Diagnostic,
    Effect,
    Entered,
    FlowEnded,
    Said,
    Step,
    Took,
)
from flowctl.engine.messages import BotMessage
from flowctl.engine.ports import Ports
from flowctl.engine.state import Conversation, Status, WaitingFor
from flowctl.model.blocks import Block, BlockBase
from flowctl.model.flow import Flow
from flowctl.model.graph import Edge, EdgeKind, adjacency
from flowctl.model.project import Endpoint

if TYPE_CHECKING:
    from flowctl.expr.evaluate import Evaluator

T = TypeVar("T")

#: Blocks one step may run before the engine stops a flow that never waits.
MAX_BLOCKS_PER_STEP = 1_000
#: How many flows one conversation may run (the first and each goto).
MAX_GOTO = 20


@dataclass(frozen=True)
class Compiled:
    """What a step needs of the compiled project, and the function that runs a block."""

    flows: Mapping[str, Flow]
    evaluator: Evaluator
    endpoints: Mapping[str, Endpoint]
    zone: Any  # tzinfo
    run_block: Callable[[StepRun, Flow, Block], Block | None]


class _Static(Mapping[str, Any]):
    """The context parts that do not change during a step (device parsed, agents counted)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)


class StepRun:
    def __init__(self, compiled: Compiled, state: Conversation, context: Mapping[str, Any],
                 ports: Ports) -> None:
        self.compiled = compiled
        self.evaluator = compiled.evaluator
        self.state = state
        self.ports = ports
        self.log: list[Effect] = []
        now = self.guard("clock", ports.clock.now, None)
        if not isinstance(now, datetime):
            now = datetime.now(compiled.zone)
        departments: dict[str, int] = self.guard("agents", ports.agents.departments, {})
        self.static = _Static(static_context(context, departments, now))

    def guard(self, port: str, call: Callable[[], T], default: T, block: str = "") -> T:
        """``call()`` on a port; when it raises, a ``port`` diagnostic and ``default``."""
        try:
            return call()
        except Exception as error:  # a port failure never breaks the step
            self.note("port", f"the {port} port failed: {type(error).__name__}: {error}", block)
            return default

    # -- evaluation ---------------------------------------------------------------------------

    def ctx(self) -> dict[str, Any]:
        """The evaluation context now: the visitor's context, the state's changes, variables."""
        return with_state(self.static.data, self.state)

    def now(self) -> datetime:
        value: datetime = self.static.data["now"]
        return value

    # -- records ------------------------------------------------------------------------------

    def say(self, message: BotMessage) -> None:
        self.log.append(Said(message))

    def note(self, code: str, message: str, block: str = "") -> None:
        self.log.append(Diagnostic(code, message, self.state.flow, block or self.state.block or ""))

    def step(self, accepted: bool = True) -> Step:
        return Step(self.state, tuple(self.log), accepted)

    # -- running ------------------------------------------------------------------------------

    def enter_flow(self, flow: Flow) -> None:
        state = self.state
        state.flow = flow.id
        state.flows_run += 1
        state.status = Status.RUNNING
        if not flow.blocks:
            self.end("completed")
            return
        self.run(flow, flow.blocks[0])

    def run(self, flow: Flow, block: Block | None) -> None:
        """Run blocks from ``block`` until the flow waits or ends."""
        run_block = self.compiled.run_block
        budget = MAX_BLOCKS_PER_STEP
        while block is not None:
            budget -= 1
            if budget < 0:
                self.note("loop", f"stopped after {MAX_BLOCKS_PER_STEP} blocks without waiting "
                          "for the visitor (a loop?)", block.id)
                self.end("error:loop")
                return
            self.state.block = block.id
            self.log.append(Entered(flow.id, block.id))
            block = run_block(self, flow, block)
            if self.state.status in (Status.WAITING, Status.ENDED):
                return

    def resume(self, flow: Flow, block: Block | None) -> None:
        """Carry on after a waiting block let go (the way out may have ended the flow)."""
        state = self.state
        if state.status == Status.ENDED:
            return
        state.status = Status.RUNNING
        state.waiting_for = None
        state.input_id = None
        state.waiting_since = None
        state.expires_at = None
        if block is not None:
            self.run(flow, block)

    # -- transitions --------------------------------------------------------------------------

    def record(self, flow: Flow, block: BlockBase, kind: EdgeKind, label: str = "") -> Edge:
        kinds = (EdgeKind.NEXT, EdgeKind.FALLTHROUGH) if kind == EdgeKind.NEXT else (kind,)
        for edge in adjacency(flow)[block.id]:
            if edge.kind in kinds and (not label or edge.label == label):
                self.log.append(Took(flow.id, edge))
                return edge
        raise LookupError(f"block '{block.id}' has no {kind} edge")  # pragma: no cover

    def follow(self, flow: Flow, block: BlockBase, kind: EdgeKind, label: str = "") -> Block | None:
        """Take an edge; return the block it leads to (None: the flow ended)."""
        edge = self.record(flow, block, kind, label)
        if edge.target is None:
            self.end(edge.outcome or "completed")
            return None
        target = flow.by_id.get(edge.target)
        if target is None:
            self.note("target", f"no block '{edge.target}' in flow '{flow.id}'", block.id)
            self.end("error:target")
        return target

    def proceed(self, flow: Flow, block: BlockBase) -> Block | None:
        """Take the block's way on: its ``next``, or the following block."""
        return self.follow(flow, block, EdgeKind.NEXT)

    def end(self, outcome: str) -> None:
        state = self.state
        state.status = Status.ENDED
        state.waiting_for = None
        state.input_id = None
        state.expires_at = None
        state.pending = None
        state.outcome = outcome
        self.log.append(FlowEnded(state.flow, outcome))

    def wait(self, kind: WaitingFor, timeout: float | None = None) -> None:
        state = self.state
        state.status = Status.WAITING
        state.waiting_for = kind
        state.input_id = f"{state.block}@{state.seq}"
        state.attempts = 0
        self.restart_clock(timeout)

    def restart_clock(self, timeout: float | None) -> None:
        """Silence is counted from the last thing the bot asked."""
        now = self.now()
        self.state.waiting_since = now.isoformat()
        expires: str | None = None
        if timeout is not None:
            try:
                expires = (now + timedelta(seconds=timeout)).isoformat()
            except OverflowError:  # a timeout past the year 9999 never fires
                expires = None
        self.state.expires_at = expires
