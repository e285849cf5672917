"""Which flow starts for an event: the same decision in the simulator and on the runtime.

A flow is a candidate when the event is one of its ``on`` events, its ``once`` policy
allows another start, ``now`` is inside its ``schedule`` and ``active`` window, and its
``when`` condition holds.  The candidate with the highest priority starts; on a tie (lint
reports it, T001) the first in the project's order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flowctl.engine.interpreter import Interpreter
from flowctl.engine.state import Conversation
from flowctl.model.flow import Flow


@dataclass
class StartHistory:
    """Flows already started, for the ``once`` policies."""

    by_visitor: set[str] = field(default_factory=set)
    in_conversation: set[str] = field(default_factory=set)

    def record(self, flow_id: str) -> None:
        self.by_visitor.add(flow_id)
        self.in_conversation.add(flow_id)


@dataclass(frozen=True)
class Decision:
    """The chosen flow (or None) and, for each flow, why it did or did not start."""

    flow: Flow | None
    reasons: dict[str, str]


def event_matches(flow: Flow, event_type: str, event_name: str = "") -> bool:
    if flow.start is None:
        return False
    for ref in flow.start.on:
        if ref.type == event_type and (event_type != "custom" or ref.name == event_name):
            return True
    return False


def select_flow(interpreter: Interpreter, event: Mapping[str, Any], context: Mapping[str, Any],
                history: StartHistory | None = None) -> Decision:
    from flowctl.engine.schedule import within_window

    history = history or StartHistory()
    event_type = str(event.get("type", ""))
    event_name = str(event.get("name", "") or "")
    probe = Conversation(flow="")
    ctx = interpreter.context_of(probe, {**context, "event": dict(event)})
    now = ctx["now"]
    reasons: dict[str, str] = {}
    best: Flow | None = None
    for flow in interpreter.project.flows:
        start = flow.start
        if start is None:
            reasons[flow.id] = "has no start (only goto starts it)"
            continue
        if not event_matches(flow, event_type, event_name):
            reasons[flow.id] = f"does not start on {event_type}"
            continue
        if start.once == "per_visitor" and flow.id in history.by_visitor:
            reasons[flow.id] = "already ran for this visitor (once: per_visitor)"
            continue
        if start.once == "per_conversation" and flow.id in history.in_conversation:
            reasons[flow.id] = "already ran in this conversation"
            continue
        if start.schedule is not None:
            calendar = interpreter.calendars.get(start.schedule.name)
            if calendar is None or not calendar.is_open(now):
                reasons[flow.id] = f"outside schedule '{start.schedule.name}'"
                continue
        if start.active is not None and not within_window(
                now, start.active.start, start.active.end, interpreter.timezone):
            reasons[flow.id] = "outside its active dates"
            continue
        if start.when is not None and not interpreter.evaluator.test(start.when, ctx):
            reasons[flow.id] = "its `when` condition is false"
            continue
        reasons[flow.id] = "can start"
        if best is None or start.priority > (best.start.priority if best.start else 0):
            best = flow
    return Decision(best, reasons)
