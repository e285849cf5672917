"""Start conditions, schedules, time zones and date windows (T).

The condition analysis used here is deliberately small and sound: a condition is turned
into a disjunction of clauses (each clause a conjunction of *atoms* on one attribute path,
such as ``visitor.visits > 5`` or ``device.type == 'mobile'``); a clause is contradictory
when two of its atoms on the same path cannot both hold.  Anything the analysis does not
understand (function calls on values, filters, arithmetic...) is taken as "may be true", so
the rules only report what is provably impossible.
"""

from __future__ import annotations

import datetime as _dt
import difflib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from jinja2 import nodes

from flowctl.expr.syntax import analyse_condition
from flowctl.lint.context import LintContext
from flowctl.lint.registry import problem, rule
from flowctl.model.flow import DateWindow, Flow
from flowctl.model.problem import Problem
from flowctl.model.schedule_syntax import DAYS, parse_date, parse_days
from flowctl.model.schedule_syntax import explain_range as parse_range
from flowctl.model.span import SourceSpan
from flowctl.model.values import AllOf, Condition, Expr, NotOf

# --------------------------------------------------------------------------------------
# Condition analysis
# --------------------------------------------------------------------------------------

_NEGATE = {"eq": "ne", "ne": "eq", "in": "notin", "notin": "in", "lt": "gteq", "gteq": "lt",
           "gt": "lteq", "lteq": "gt", "truthy": "falsy", "falsy": "truthy"}
_FLIP = {"eq": "eq", "ne": "ne", "lt": "gt", "gt": "lt", "lteq": "gteq", "gteq": "lteq"}
_MAX_CLAUSES = 64
_SHOWN_OP = {"eq": "==", "ne": "!=", "in": "in", "notin": "not in", "lt": "<", "lteq": "<=",
             "gt": ">", "gteq": ">=", "truthy": "", "falsy": "not"}


@dataclass(frozen=True)
class Atom:
    path: str
    op: str  # eq ne in notin lt lteq gt gteq truthy falsy
    value: Any = None  # a literal; a tuple for in/notin
    span: SourceSpan | None = field(default=None, compare=False)  # the expression it is from

    def negated(self) -> Atom:
        return Atom(self.path, _NEGATE[self.op], self.value, self.span)

    def __str__(self) -> str:
        if self.op == "truthy":
            return self.path
        if self.op == "falsy":
            return f"not {self.path}"
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        return f"{self.path} {_SHOWN_OP[self.op]} {value!r}"


Clause = tuple[Atom, ...]
Dnf = tuple[Clause, ...]  # a disjunction of conjunctions; () is "false", ((),) is "true"

TRUE: Dnf = ((),)


def _path(node: nodes.Node) -> str | None:
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        base = _path(node.node)
        return f"{base}.{node.attr}" if base else None
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        base = _path(node.node)
        if base and isinstance(node.arg.value, str):
            return f"{base}.{node.arg.value}"
    return None


def _literal(node: nodes.Node) -> tuple[bool, Any]:
    if isinstance(node, nodes.Const):
        return True, node.value
    if isinstance(node, nodes.List | nodes.Tuple):
        items = []
        for item in node.items:
            ok, value = _literal(item)
            if not ok or isinstance(value, tuple):
                return False, None
            items.append(value)
        return True, tuple(items)
    if isinstance(node, nodes.Neg):
        ok, value = _literal(node.node)
        if ok and _is_number(value):
            return True, -value
    return False, None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _or(left: Dnf, right: Dnf) -> Dnf:
    merged = left + right
    return merged if len(merged) <= _MAX_CLAUSES else TRUE


def _and(left: Dnf, right: Dnf) -> Dnf:
    if len(left) * len(right) > _MAX_CLAUSES:
        # Too big to expand: keep the smaller side's atoms only when it is one clause.
        if len(left) == 1:
            return tuple(left[0] + c for c in right) if len(right) <= _MAX_CLAUSES else left
        if len(right) == 1:
            return tuple(c + right[0] for c in left)
        return TRUE
    return tuple(a + b for a in left for b in right)


def _atom_dnf(atom: Atom | None) -> Dnf:
    return TRUE if atom is None else ((atom,),)


def _call_text(node: nodes.Call) -> str | None:
    name = _path(node.node)
    if name is None or node.kwargs or node.dyn_args or node.dyn_kwargs:
        return None
    args = []
    for arg in node.args:
        ok, value = _literal(arg)
        if not ok:
            return None
        args.append(repr(list(value) if isinstance(value, tuple) else value))
    return f"{name}({', '.join(args)})"


def _compare_atom(node: nodes.Compare) -> Atom | None:
    if len(node.ops) != 1:
        return None
    op = node.ops[0].op
    left, right = node.expr, node.ops[0].expr
    path = _path(left)
    ok, value = _literal(right)
    if path is None or not ok:
        # literal on the left: ``5 < visitor.visits``
        path = _path(right)
        ok, value = _literal(left)
        if path is None or not ok or op not in _FLIP:
            return None
        op = _FLIP[op]
    if op in ("in", "notin"):
        return Atom(path, op, value) if isinstance(value, tuple) else None
    if op in ("eq", "ne"):
        return None if isinstance(value, tuple) else Atom(path, op, value)
    if op in ("lt", "lteq", "gt", "gteq") and _is_number(value):
        return Atom(path, op, value)
    return None


def _node_dnf(node: nodes.Node, negate: bool) -> Dnf:
    if isinstance(node, nodes.And):
        parts = [_node_dnf(node.left, negate), _node_dnf(node.right, negate)]
        return _or(*parts) if negate else _and(*parts)
    if isinstance(node, nodes.Or):
        parts = [_node_dnf(node.left, negate), _node_dnf(node.right, negate)]
        return _and(*parts) if negate else _or(*parts)
    if isinstance(node, nodes.Not):
        return _node_dnf(node.node, not negate)
    atom: Atom | None = None
    if isinstance(node, nodes.Compare):
        atom = _compare_atom(node)
    elif isinstance(node, nodes.Name | nodes.Getattr | nodes.Getitem):
        path = _path(node)
        atom = Atom(path, "truthy") if path else None
    elif isinstance(node, nodes.Call):
        # ``within('x')`` and ``not within('x')``: the same call, truthy and falsy.
        shown = _call_text(node)
        atom = Atom(shown, "truthy") if shown else None
    elif isinstance(node, nodes.Const):
        if bool(node.value) != negate:
            return TRUE
        return ()
    if atom is None:
        return TRUE  # not understood: may be true either way
    return _atom_dnf(atom.negated() if negate else atom)


@lru_cache(maxsize=2048)
def _analyse(source: str) -> nodes.Node | None:
    try:
        analysis = analyse_condition(source)
    except Exception:
        return None
    return analysis.node if analysis.error is None else None


def condition_dnf(condition: Condition | None, negate: bool = False) -> Dnf:
    """The condition as a disjunction of clauses of atoms (negated when ``negate``)."""
    if condition is None:
        return () if negate else TRUE
    if isinstance(condition, Expr):
        node = _analyse(condition.source)
        if node is None:
            return TRUE
        span = condition.span
        return tuple(tuple(replace(atom, span=span) for atom in clause)
                     for clause in _node_dnf(node, negate))
    if isinstance(condition, NotOf):
        return condition_dnf(condition.item, not negate)
    items = [condition_dnf(item, negate) for item in condition.items]
    conjunction = isinstance(condition, AllOf) != negate
    if conjunction:
        result = TRUE
        for item in items:
            result = _and(result, item)
        return result
    result = ()
    for item in items:
        result = _or(result, item)
    return result


def _falsy(value: Any) -> bool:
    return not value


def clause_conflict(clause: Clause) -> tuple[Atom, Atom] | None:
    """Two atoms of the clause that cannot both hold, or None."""
    by_path: dict[str, list[Atom]] = {}
    for atom in clause:
        by_path.setdefault(atom.path, []).append(atom)
    for atoms in by_path.values():
        for i, first in enumerate(atoms):
            for second in atoms[i + 1:]:
                if _pair_conflict(first, second) or _pair_conflict(second, first):
                    return first, second
        found = _range_conflict(atoms)
        if found:
            return found
    return None


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:
        return False


def _satisfies(value: Any, atom: Atom) -> bool | None:
    """Does ``path == value`` satisfy ``atom``? None when unknown."""
    op = atom.op
    if op == "eq":
        return _same(value, atom.value)
    if op == "ne":
        return not _same(value, atom.value)
    if op == "in":
        return any(_same(value, item) for item in atom.value)
    if op == "notin":
        return not any(_same(value, item) for item in atom.value)
    if op == "truthy":
        return not _falsy(value)
    if op == "falsy":
        return _falsy(value)
    if not _is_number(value) or not _is_number(atom.value):
        return None
    return {"lt": value < atom.value, "lteq": value <= atom.value,
            "gt": value > atom.value, "gteq": value >= atom.value}[op]


def _pair_conflict(first: Atom, second: Atom) -> bool:
    if first.op == "truthy" and second.op == "falsy":
        return True
    if first.op == "eq":
        return _satisfies(first.value, second) is False
    if first.op == "in" and second.op in ("in", "notin", "ne", "lt", "lteq", "gt", "gteq",
                                          "falsy", "truthy"):
        # every listed value is excluded by the other atom
        if not first.value:
            return True
        verdicts = [_satisfies(item, second) for item in first.value]
        return all(v is False for v in verdicts)
    return False


def _range_conflict(atoms: list[Atom]) -> tuple[Atom, Atom] | None:
    lower: Atom | None = None
    upper: Atom | None = None
    for atom in atoms:
        if atom.op in ("gt", "gteq") and (lower is None or atom.value > lower.value or (
                atom.value == lower.value and atom.op == "gt")):
            lower = atom
        elif atom.op in ("lt", "lteq") and (upper is None or atom.value < upper.value or (
                atom.value == upper.value and atom.op == "lt")):
            upper = atom
    if lower is None or upper is None:
        return None
    if lower.value > upper.value:
        return lower, upper
    if lower.value == upper.value and ("gt" in (lower.op,) or upper.op == "lt"):
        return lower, upper
    return None


def dnf_impossible(dnf: Dnf) -> list[tuple[Atom, Atom]] | None:
    """The conflicting pair of each clause when every clause is contradictory, else None."""
    pairs = []
    for clause in dnf:
        found = clause_conflict(clause)
        if found is None:
            return None
        pairs.append(found)
    return pairs


def event_dnf(key: str) -> Dnf:
    """What an event key (``page_view``, ``custom:name``) tells about ``event``."""
    if key.startswith("custom:"):
        return ((Atom("event.type", "eq", "custom"), Atom("event.name", "eq", key[7:])),)
    return ((Atom("event.type", "eq", key),),)


def conditions_exclusive(first: Condition | None, second: Condition | None,
                         event: str | None = None) -> bool:
    """Can the two conditions never hold together (on ``event``), provably?"""
    dnf = _and(condition_dnf(first), condition_dnf(second))
    if event is not None:
        dnf = _and(dnf, event_dnf(event))
    return dnf_impossible(dnf) is not None


# --------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------

def _window(window: DateWindow | None) -> tuple[_dt.date, _dt.date] | None:
    """The window as (first, last) dates; None when the flow has no (usable) window."""
    if window is None:
        return None
    start = parse_date(window.start) if window.start else _dt.date.min
    end = parse_date(window.end) if window.end else _dt.date.max
    if start is None or end is None:
        return None
    return start, end


def windows_overlap(first: DateWindow | None, second: DateWindow | None) -> bool:
    a, b = _window(first), _window(second)
    if a is None or b is None:
        return True
    return a[0] <= b[1] and b[0] <= a[1]


# --------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------


def _event_keys(flow: Flow) -> list[str]:
    if flow.start is None:
        return []
    keys = []
    for event in flow.start.on:
        key = f"custom:{event.name}" if event.type == "custom" else event.type
        if key not in keys:
            keys.append(key)
    return keys


@rule("T001", "start-conflict", scope="project")
def start_conflict(ctx: LintContext) -> Iterator[Problem]:
    """Two flows can start on the same event with the same priority.

    When several flows match one event the one with the highest `priority` starts; a tie
    leaves the choice to file order, which nobody reviewing a flow can see. Flows do not
    conflict when their `when` conditions exclude each other (`device.type == 'mobile'`
    against `device.type == 'desktop'`) or their `active` date windows do not overlap.

    Bad:
        # pricing.flow.yaml
        start: {on: page_view, when: "page.path == '/pricing'"}
        # promo.flow.yaml
        start: {on: page_view, when: "visitor.returning"}

    Good:
        # pricing.flow.yaml
        start: {on: page_view, when: "page.path == '/pricing'", priority: 10}
        # promo.flow.yaml
        start: {on: page_view, when: "visitor.returning", priority: 5}
    """
    seen: list[Flow] = []
    for flow in ctx.project.flows:
        start = flow.start
        if start is None or not start.on:
            continue
        keys = _event_keys(flow)
        for earlier in seen:
            assert earlier.start is not None
            if earlier.start.priority != start.priority:
                continue
            if not windows_overlap(earlier.start.active, start.active):
                continue
            shared = [k for k in keys if k in _event_keys(earlier)
                      and not conditions_exclusive(earlier.start.when, start.when, k)]
            if not shared:
                continue
            yield problem(
                f"flow '{flow.id}' and flow '{earlier.id}' ({earlier.file}:"
                f"{earlier.start.span.line}) can both start on {shared[0]} with the same "
                f"priority {start.priority}",
                start.priority_span or start.span,
                "give one of them a higher `priority`, or make their `when` conditions "
                "exclude each other",
            )
            break
        seen.append(flow)


@rule("T002", "impossible-start-condition")
def impossible_start_condition(flow: Flow, ctx: LintContext) -> Iterator[Problem]:
    """A start condition can never hold, so the flow never starts.

    Within an `all` (or one expression joined by `and`), two tests of the same attribute
    contradict each other: `x == 'a'` and `x == 'b'`, `x == 'a'` and `x != 'a'`, a value
    outside an `in` list, numeric ranges that do not intersect, `x` and `not x`. An `any`
    is impossible only when every one of its branches is.

    Bad:
        start:
          on: page_view
          when:
            all: ["device.type == 'mobile'", "device.type == 'desktop'"]

    Good:
        start:
          on: page_view
          when:
            any: ["device.type == 'mobile'", "device.type == 'desktop'"]
    """
    start = flow.start
    if start is None or start.when is None:
        return
    dnf = condition_dnf(start.when)
    pairs = dnf_impossible(dnf)
    if not pairs:
        # impossible on each event the flow starts on (``event.type == 'chat_opened'`` in
        # a flow that starts on page_view)?
        keys = _event_keys(flow)
        per_event = [dnf_impossible(_and(dnf, event_dnf(key))) for key in keys]
        if not keys or any(found is None for found in per_event):
            return
        pairs = [pair for found in per_event for pair in found or []]
    first, second = pairs[0]
    why = f"`{first}` and `{second}` cannot both hold"
    if len(pairs) > 1:
        why += " (and every other alternative is contradictory too)"
    if first.span is None or second.span is None:
        why += f" (the flow starts on {', '.join(_event_keys(flow))})"
    spans = [a.span for a in (first, second) if a.span is not None]
    shown = max(spans, key=lambda span: (span.line, span.column)) if spans else start.when.span
    yield problem(f"start condition of flow '{flow.id}' can never hold: {why}", shown,
                  "remove one of the contradictory tests, or use `any` for alternatives")


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    import zoneinfo

    return {zone.lower(): zone for zone in zoneinfo.available_timezones()}


def _valid_zone(name: str) -> bool:
    import zoneinfo

    if not name or name != name.strip():
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _zone_hint(name: str) -> str:
    zones = _zones()
    exact = zones.get(name.strip().lower())
    if exact:
        return f"did you mean '{exact}'? (zone names are case-sensitive)"
    close = difflib.get_close_matches(name.strip().lower().replace(" ", "_"), list(zones),
                                      n=3, cutoff=0.6)
    if close:
        return "did you mean " + " or ".join(f"'{zones[c]}'" for c in close) + "?"
    return "use an IANA time zone name such as 'Europe/Berlin' or 'UTC'"


@rule("T003", "invalid-timezone", scope="project")
def invalid_timezone(ctx: LintContext) -> Iterator[Problem]:
    """A `timezone` in flowctl.yaml is not an IANA time zone.

    `now` and every schedule are evaluated in the project's time zone (or the schedule's
    own); an unknown name would make them fail at run time.

    Bad:
        timezone: Europe/Berlyn

    Good:
        timezone: Europe/Berlin
    """
    config = ctx.config
    if config is None:
        return
    refs = [("project", config.timezone)]
    refs += [(f"schedule '{name}'", s.timezone) for name, s in config.schedules.items()]
    for owner, ref in refs:
        if ref is None or _valid_zone(ref.name):
            continue
        yield problem(f"time zone '{ref.name}' of the {owner} is not an IANA time zone",
                      ref.span, _zone_hint(ref.name))


@rule("T004", "invalid-schedule", scope="project")
def invalid_schedule(ctx: LintContext) -> Iterator[Problem]:
    """A schedule in flowctl.yaml has a bad day, time range or closed date.

    Days are `mon`..`sun`, ranges like `mon-fri`, comma lists like `mon,wed`, or `daily`,
    `weekdays`, `weekends`. Times are `HH:MM-HH:MM` ranges (start before end, `24:00`
    allowed as an end) that do not overlap on the same day. `closed` lists real ISO dates.

    Bad:
        schedules:
          business_hours:
            hours: {mon-fry: "09:00-17:30", sat: "14:00-10:00"}
            closed: [2026-02-30]

    Good:
        schedules:
          business_hours:
            hours: {mon-fri: "09:00-17:30", sat: "10:00-14:00"}
            closed: [2026-12-24]
    """
    config = ctx.config
    if config is None:
        return
    for name, schedule in config.schedules.items():
        taken: dict[int, list[tuple[int, int, str]]] = {}
        for hours in schedule.hours:
            days = parse_days(hours.days)
            if days is None:
                yield problem(
                    f"schedule '{name}': '{hours.days}' is not a day spec",
                    hours.span,
                    "use mon..sun, a range like mon-fri, a list like mon,wed, or daily, "
                    "weekdays, weekends",
                )
            for text in hours.ranges:
                parsed = parse_range(text)
                if isinstance(parsed, str):
                    yield problem(f"schedule '{name}': time range '{text}' of '{hours.days}' "
                                  f"{parsed}", hours.span, "write ranges as HH:MM-HH:MM, "
                                  "e.g. 09:00-17:30")
                    continue
                if days is None:
                    continue
                clash = None
                for day in sorted(days):
                    for start, end, other in taken.get(day, []):
                        if parsed[0] < end and start < parsed[1]:
                            clash = (day, other)
                            break
                    if clash:
                        break
                if clash:
                    yield problem(
                        f"schedule '{name}': '{text}' of '{hours.days}' overlaps "
                        f"'{clash[1]}' on {DAYS[clash[0]]}",
                        hours.span, "merge the two ranges or make them disjoint",
                    )
                for day in days:
                    taken.setdefault(day, []).append((parsed[0], parsed[1], text))
        for ref in schedule.closed:
            if parse_date(ref.name) is None:
                yield problem(f"schedule '{name}': closed date '{ref.name}' is not a real "
                              "ISO date", ref.span, "write dates as YYYY-MM-DD")


@rule("T005", "invalid-date-window")
def invalid_date_window(flow: Flow, ctx: LintContext) -> Iterator[Problem]:
    """A start's `active` window has a date that is not a real ISO date, or ends before it
    begins.

    `from` and `until` are ISO dates (`YYYY-MM-DD`), both inclusive; either may be left
    out. A window whose `from` is after its `until` never opens.

    Bad:
        start: {on: page_view, active: {from: 2026-12-31, until: 2026-12-01}}

    Good:
        start: {on: page_view, active: {from: 2026-12-01, until: 2026-12-31}}
    """
    start = flow.start
    if start is None or start.active is None:
        return
    window = start.active
    dates: dict[str, _dt.date | None] = {}
    for key, text, span in (("from", window.start, window.start_span),
                            ("until", window.end, window.end_span)):
        if text is None:
            continue
        parsed = parse_date(text)
        if parsed is None:
            yield problem(f"active.{key} '{text}' is not a real ISO date", span or window.span,
                          "write dates as YYYY-MM-DD, e.g. 2026-12-31")
        dates[key] = parsed
    first, last = dates.get("from"), dates.get("until")
    if first is not None and last is not None and first > last:
        yield problem(
            f"active window of flow '{flow.id}' starts ({window.start}) after it ends "
            f"({window.end}): the flow never starts",
            window.end_span or window.span, "swap `from` and `until`",
        )
