"""Who a generated visitor is when it starts: agents, business hours and a context derived
from the flow's conditions.

Context values come from the comparisons in branch and start conditions (the same
disjunctive normal form lint uses to find impossible conditions): for each clause an
assignment that makes it true, and one that makes it false.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flowctl.model.blocks import BranchBlock, EscalateBlock
from flowctl.model.flow import Flow


@dataclass
class Setup:
    """What a generated visitor starts with."""

    label: str
    context: dict[str, Any] = field(default_factory=dict)
    agents: dict[str, int] = field(default_factory=dict)
    now: datetime | None = None  # None: the explorer's start time


def _assign(context: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    target = context
    for part in parts[:-1]:
        nxt = target.get(part)
        if not isinstance(nxt, dict):
            nxt = {}
            target[part] = nxt
        target = nxt
    target[parts[-1]] = value


def _satisfy(atom: Any, truth: bool) -> tuple[str, Any] | None:
    """A (path, value) that makes ``atom`` true (or false); None when none is derivable."""
    op, value, path = atom.op, atom.value, atom.path
    if path is None or "(" in path:
        return None
    if not truth:
        op = {"eq": "ne", "ne": "eq", "in": "notin", "notin": "in", "lt": "gteq", "gteq": "lt",
              "gt": "lteq", "lteq": "gt", "truthy": "falsy", "falsy": "truthy"}.get(op, op)
    if op == "eq":
        return path, value
    if op == "ne":
        if isinstance(value, bool):
            return path, not value
        if isinstance(value, int | float):
            return path, value + 1
        return path, f"not-{value}"
    if op == "in":
        return (path, value[0]) if isinstance(value, list | tuple) and value else None
    if op == "notin":
        return path, "none-of-these"
    if op in ("lt", "lteq", "gt", "gteq") and isinstance(value, int | float):
        delta = {"lt": -1, "lteq": 0, "gt": 1, "gteq": 0}[op]
        return path, value + delta
    if op == "truthy":
        return path, True
    if op == "falsy":
        return path, False
    return None


def _split_agents(context: dict[str, Any], departments: list[str]) -> dict[str, int] | None:
    """Move ``agents.*`` assignments out of a context into per-department counts."""
    agents = context.pop("agents", None)
    if not isinstance(agents, dict):
        return None
    counts = {d: 1 for d in departments}
    online = agents.get("online")
    if isinstance(online, int | float) and not isinstance(online, bool):
        per = max(int(online), 0)
        counts = {d: (per if i == 0 else 0) for i, d in enumerate(departments)} or {"any": per}
    for name, value in (agents.get("departments") or {}).items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            counts[name] = max(int(value), 0)
    return counts


def _condition_setups(flow: Flow, base: dict[str, Any]) -> list[Setup]:
    from flowctl.expr.dnf import condition_dnf

    setups: list[Setup] = []
    seen: set[str] = set()
    conditions = []
    if flow.start is not None and flow.start.when is not None:
        conditions.append(("start", flow.start.when))
    for block in flow.blocks:
        if isinstance(block, BranchBlock):
            for number, case in enumerate(block.cases, 1):
                conditions.append((f"{block.id} case {number}", case.when))
    for where, condition in conditions:
        for truth in (True, False):
            for clause in condition_dnf(condition, negate=not truth)[:4]:
                context = copy.deepcopy(base)
                ok = True
                for atom in clause:
                    assignment = _satisfy(atom, True)
                    if assignment is None:
                        ok = False
                        break
                    _assign(context, *assignment)
                if not ok:
                    continue
                key = json.dumps(context, sort_keys=True, default=str)
                if key not in seen:
                    seen.add(key)
                    setups.append(Setup(f"{where} {'true' if truth else 'false'}", context))
    return setups


def setups(flow: Flow, departments: list[str], start_time: datetime) -> list[Setup]:
    """Agents online; offline (when the flow escalates); outside business hours (when it
    reads the time); and one set-up per condition clause, true and false."""
    online = {d: 1 for d in departments}
    base = [Setup("agents online", {}, online)]
    if departments and any(isinstance(b, EscalateBlock) for b in flow.blocks):
        base.append(Setup("agents offline", {}, {d: 0 for d in departments}))
    if uses_time(flow):
        sunday_night = (start_time + timedelta(days=6)).replace(hour=3, minute=0)
        base.append(Setup("outside business hours (Sunday 03:00)", {}, online, sunday_night))
    derived = []
    for setup in _condition_setups(flow, {}):
        agents = _split_agents(setup.context, departments)
        derived.append(Setup(setup.label, setup.context, agents if agents is not None else online))
    return base + derived


def uses_time(flow: Flow) -> bool:
    """Does a condition or template of the flow read ``now`` or call ``within``?"""
    from flowctl.expr.syntax import analyse_condition, analyse_template
    from flowctl.model.values import iter_expressions

    sources = [e.source for b in flow.blocks if isinstance(b, BranchBlock)
               for c in b.cases for e in iter_expressions(c.when)]
    if flow.start and flow.start.when is not None:
        sources += [e.source for e in iter_expressions(flow.start.when)]
    for source in sources:
        analysis = analyse_condition(source)
        if "now" in analysis.names or any(c.function == "within" for c in analysis.calls):
            return True
    return any("now" in analyse_template(t.source).names
               for b in flow.blocks for _, t in b.templates())
