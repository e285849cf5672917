"""Which flow starts for an event: the same decision in the simulator, chat and the server.

A flow is a candidate when the event is one of its ``on`` events, its ``once`` policy
allows another start, ``now`` is inside its ``schedule`` and ``active`` window, and its
``when`` condition holds.  The candidate with the highest priority starts; on a tie (lint
reports it, T001) the first in the project's order.  For every flow the decision says which
part held it back, down to the clause of ``when`` that was false.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from flowctl.model.flow import Flow
from flowctl.model.span import SourceSpan
from flowctl.model.values import AllOf, AnyOf, Condition, Expr, NotOf

if TYPE_CHECKING:
    from flowctl.expr.evaluate import Evaluator
    from flowctl.expr.schedule import ScheduleCalendar


class StartPart(StrEnum):
    """The part of a start condition a verdict is about."""

    NO_START = "start"  # the flow has no start (only goto reaches it)
    EVENT = "on"
    ONCE = "once"
    SCHEDULE = "schedule"
    ACTIVE = "active"
    WHEN = "when"
    OK = "ok"  # everything held


@dataclass
class StartHistory:
    """Flows already started, for the ``once`` policies."""

    by_visitor: set[str] = field(default_factory=set)
    in_conversation: set[str] = field(default_factory=set)

    def record(self, flow_id: str) -> None:
        self.by_visitor.add(flow_id)
        self.in_conversation.add(flow_id)


@dataclass(frozen=True)
class Verdict:
    """Whether one flow could start, and if not which part said no (with where it is)."""

    flow: str
    part: StartPart
    reason: str
    span: SourceSpan | None = None

    @property
    def can_start(self) -> bool:
        return self.part == StartPart.OK


@dataclass(frozen=True)
class Decision:
    """The chosen flow (or None) and a verdict for each flow of the project."""

    flow: Flow | None
    verdicts: dict[str, Verdict]

    @property
    def reasons(self) -> dict[str, str]:
        return {name: verdict.reason for name, verdict in self.verdicts.items()}


def event_matches(flow: Flow, event_type: str, event_name: str = "") -> bool:
    if flow.start is None:
        return False
    for ref in flow.start.on:
        if ref.type == event_type and (event_type != "custom" or ref.name == event_name):
            return True
    return False


def false_part(condition: Condition, evaluator: Evaluator,
               context: Mapping[str, Any]) -> tuple[str, SourceSpan] | None:
    """Why ``condition`` is false: the first false clause of an ``all``, every clause of an
    ``any``, a ``not`` whose inner condition holds; None when it holds."""
    if evaluator.test(condition, context):
        return None
    if isinstance(condition, AllOf):
        for item in condition.items:
            found = false_part(item, evaluator, context)
            if found is not None:
                return found
    if isinstance(condition, AnyOf):
        parts = [false_part(item, evaluator, context) for item in condition.items]
        texts = [part[0] for part in parts if part is not None]
        return "none of " + "; ".join(texts) if texts else "no clause of `any` holds", \
            condition.span
    if isinstance(condition, NotOf):
        return f"`not` of a condition that holds ({_source(condition.item)})", condition.span
    if isinstance(condition, Expr):
        return f"`{condition.template.source.strip()}` is false", condition.span
    return "false", getattr(condition, "span", None) or SourceSpan("", 0, 0)


def _source(condition: Condition) -> str:
    if isinstance(condition, Expr):
        return f"`{condition.template.source.strip()}`"
    return type(condition).__name__


def verdict_for(flow: Flow, event: Mapping[str, Any], context: Mapping[str, Any],
                history: StartHistory, evaluator: Evaluator,
                calendars: Mapping[str, ScheduleCalendar], zone: Any) -> Verdict:
    from flowctl.expr.schedule import within_window

    start = flow.start
    if start is None:
        return Verdict(flow.id, StartPart.NO_START, "has no start (only goto starts it)")
    event_type = str(event.get("type", ""))
    if not event_matches(flow, event_type, str(event.get("name", "") or "")):
        name = f"custom:{event.get('name')}" if event_type == "custom" else event_type
        return Verdict(flow.id, StartPart.EVENT, f"does not start on {name or 'this event'}",
                       start.span)
    if start.once == "per_visitor" and flow.id in history.by_visitor:
        return Verdict(flow.id, StartPart.ONCE, "already ran for this visitor (once: per_visitor)",
                       start.span)
    if start.once == "per_conversation" and flow.id in history.in_conversation:
        return Verdict(flow.id, StartPart.ONCE, "already ran in this conversation", start.span)
    now = context["now"]
    if start.schedule is not None:
        calendar = calendars.get(start.schedule.name)
        if calendar is None or not calendar.is_open(now):
            return Verdict(flow.id, StartPart.SCHEDULE,
                           f"outside schedule '{start.schedule.name}'", start.schedule.span)
    if start.active is not None and not within_window(now, start.active.start, start.active.end,
                                                      zone):
        return Verdict(flow.id, StartPart.ACTIVE, "outside its active dates", start.span)
    if start.when is not None:
        found = false_part(start.when, evaluator, context)
        if found is not None:
            text, span = found
            return Verdict(flow.id, StartPart.WHEN, f"its `when` condition is false: {text}", span)
    return Verdict(flow.id, StartPart.OK, "can start", start.span)


def choose(flows: list[Flow] | tuple[Flow, ...], verdicts: Mapping[str, Verdict]) -> Flow | None:
    best: Flow | None = None
    for flow in flows:
        if verdicts[flow.id].can_start and flow.start is not None and (
                best is None or flow.start.priority > (best.start.priority if best.start else 0)):
            best = flow
    return best
