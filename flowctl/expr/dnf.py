"""Conditions as a disjunction of clauses of atoms: the analysis lint and explore share.

A condition is turned into a disjunction of clauses (each clause a conjunction of *atoms*
on one attribute path, such as ``visitor.visits > 5`` or ``device.type == 'mobile'``); a
clause is contradictory when two of its atoms on the same path cannot both hold.  Anything
the analysis does not understand (function calls on values, filters, arithmetic...) is
taken as "may be true", so callers only conclude what is provable.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from jinja2 import nodes

from flowctl.expr.syntax import analyse_condition
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


def dnf_and(left: Dnf, right: Dnf) -> Dnf:
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
        return _or(*parts) if negate else dnf_and(*parts)
    if isinstance(node, nodes.Or):
        parts = [_node_dnf(node.left, negate), _node_dnf(node.right, negate)]
        return dnf_and(*parts) if negate else _or(*parts)
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
            result = dnf_and(result, item)
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


def satisfies(value: Any, atom: Atom) -> bool | None:
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
        return satisfies(first.value, second) is False
    if first.op == "in" and second.op in ("in", "notin", "ne", "lt", "lteq", "gt", "gteq",
                                          "falsy", "truthy"):
        # every listed value is excluded by the other atom
        if not first.value:
            return True
        verdicts = [satisfies(item, second) for item in first.value]
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
    dnf = dnf_and(condition_dnf(first), condition_dnf(second))
    if event is not None:
        dnf = dnf_and(dnf, event_dnf(event))
    return dnf_impossible(dnf) is not None


# --------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------
