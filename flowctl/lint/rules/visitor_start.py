"""Visitors that expect their flow to start but can never satisfy its start condition (C007)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from flowctl.expr.dnf import Atom, condition_dnf, satisfies
from flowctl.lint.context import LintContext
from flowctl.lint.registry import problem, rule
from flowctl.model.problem import Problem
from flowctl.model.visitors import Visitor, VisitorFile

_ABSENT = object()


def _given(context: Any, path: str) -> Any:
    """The value the visitor's own ``context`` gives at a dotted path, else _ABSENT."""
    value = context
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return _ABSENT
        value = value[part]
    return value


def _false_atoms(visitor: Visitor, clauses: tuple[tuple[Atom, ...], ...]) -> list[Atom] | None:
    """One atom per clause that the visitor's context makes false; None when some clause
    may hold (a field the context does not give may hold: only the provable is reported)."""
    found: list[Atom] = []
    for clause in clauses:
        false = next((atom for atom in clause
                      if (value := _given(visitor.context, atom.path)) is not _ABSENT
                      and satisfies(value, atom) is False), None)
        if false is None:
            return None
        found.append(false)
    return found


@rule("C007", "visitor-never-starts", severity="warning", scope="visitors")
def visitor_never_starts(vf: VisitorFile, ctx: LintContext) -> Iterator[Problem]:
    """A visitor expects its flow to start, but its context fails the start condition.

    In a visitors file that names its `flow:`, a visitor with `expect: {started: true}`
    whose `context` makes every alternative of the flow's `start.when` false can never
    pass: the fields it sets contradict the condition.

    Bad:
        context: {visitor: {time_on_page: 5}}
        expect: {started: true}
        # lead.flow.yaml starts when visitor.time_on_page >= 20

    Good:
        context: {visitor: {time_on_page: 45}}
        expect: {started: true}
    """
    flow = ctx.project.flow(vf.flow.name) if vf.flow is not None else None
    if flow is None or flow.start is None or flow.start.when is None:
        return
    clauses = condition_dnf(flow.start.when)
    for visitor in vf.visitors:
        if visitor.expect is None or visitor.expect.started is not True:
            continue
        false = _false_atoms(visitor, clauses)
        if not false:
            continue
        why = "; ".join(dict.fromkeys(
            f"`{atom}` is false for {atom.path} = {_given(visitor.context, atom.path)!r}"
            for atom in false))
        yield problem(
            f"visitor '{visitor.name}' expects flow '{flow.id}' to start, but its context "
            f"fails the start condition: {why}", visitor.expect.span,
            "change the visitor's `context` to satisfy `start.when`, or expect "
            "`started: false`")
