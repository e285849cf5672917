"""Pure graph queries over a flow, shared by lint, the engine's tooling and explore.

Edges include the implicit ones: falling through to the following block, and the ways a
flow ends (``end``, escalation, ``goto``, an unanswered or invalid question without a
handler, falling off the end of the list).
"""

from __future__ import annotations

import weakref
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from flowctl.model.blocks import (
    Block,
    BranchBlock,
    DataBlock,
    EndBlock,
    EscalateBlock,
    FormBlock,
    GotoBlock,
    QuestionBlock,
    Ref,
)
from flowctl.model.flow import Flow
from flowctl.model.span import SourceSpan

END = None  # target of an edge that ends the flow


class EdgeKind(StrEnum):
    """How control passes along an edge (each member equals its string)."""

    NEXT = "next"  # an explicit `next`
    FALLTHROUGH = "fallthrough"  # on to the following block (or off the end)
    CHOICE = "choice"
    CASE = "case"
    DEFAULT = "default"
    ON_INVALID = "on_invalid"
    ON_TIMEOUT = "on_timeout"
    ON_ERROR = "on_error"
    WHEN_UNAVAILABLE = "when_unavailable"
    END = "end"  # end, escalate and goto blocks end the flow


@dataclass(frozen=True, slots=True)
class Edge:
    """One way control can pass.  ``target`` is a block id, or ``None`` when the flow ends."""

    source: str
    target: str | None
    kind: EdgeKind
    span: SourceSpan
    label: str = ""
    outcome: str | None = None  # for edges that end the flow

    @property
    def key(self) -> str:
        """A stable name for coverage: ``source -kind[label]-> target``."""
        label = f"[{self.label}]" if self.label else ""
        return f"{self.source} -{self.kind}{label}-> {self.target or '(end)'}"


def _to(ref: Ref) -> str:
    return ref.name


def _continue(flow: Flow, block: Block, index: int) -> Edge:
    """Where control goes after a block that carries on: ``next`` or the following block."""
    if block.next is not None:
        return Edge(block.id, _to(block.next), EdgeKind.NEXT, block.next.span)
    if index + 1 < len(flow.blocks):
        return Edge(block.id, flow.blocks[index + 1].id, EdgeKind.FALLTHROUGH, block.span)
    return Edge(block.id, END, EdgeKind.FALLTHROUGH, block.span, outcome="completed")


def successors(flow: Flow, block: Block, index: int | None = None) -> list[Edge]:
    """Every edge out of ``block``, in a stable order."""
    if index is None:
        index = flow.blocks.index(block)
    edges: list[Edge] = []
    if isinstance(block, QuestionBlock):
        for choice in block.choices:
            if choice.next is not None:
                edges.append(Edge(block.id, _to(choice.next), EdgeKind.CHOICE, choice.next.span,
                                  choice.label))
        if block.continues:
            edges.append(_continue(flow, block, index))
        if block.validated:
            if block.on_invalid is not None:
                edges.append(Edge(block.id, _to(block.on_invalid), EdgeKind.ON_INVALID,
                                  block.on_invalid.span))
            else:
                edges.append(Edge(block.id, END, EdgeKind.ON_INVALID, block.span, outcome="unresolved"))
        if block.timeout is not None:
            edges.append(_timeout_edge(block, block.on_timeout))
    elif isinstance(block, FormBlock):
        edges.append(_continue(flow, block, index))
        if block.timeout is not None:
            edges.append(_timeout_edge(block, block.on_timeout))
    elif isinstance(block, DataBlock):
        edges.append(_continue(flow, block, index))
        if block.on_error is not None:
            edges.append(Edge(block.id, _to(block.on_error), EdgeKind.ON_ERROR, block.on_error.span))
    elif isinstance(block, BranchBlock):
        for number, case in enumerate(block.cases, 1):
            edges.append(Edge(block.id, _to(case.next), EdgeKind.CASE, case.next.span, f"case {number}"))
        if block.default is not None:
            edges.append(Edge(block.id, _to(block.default), EdgeKind.DEFAULT, block.default.span))
        else:
            edges.append(_continue(flow, block, index))
    elif isinstance(block, EscalateBlock):
        edges.append(Edge(block.id, END, EdgeKind.END, block.span, outcome="escalated"))
        if block.when_unavailable is not None:
            edges.append(
                Edge(block.id, _to(block.when_unavailable), EdgeKind.WHEN_UNAVAILABLE,
                     block.when_unavailable.span)
            )
    elif isinstance(block, EndBlock):
        edges.append(Edge(block.id, END, EdgeKind.END, block.span, outcome=block.outcome))
    elif isinstance(block, GotoBlock):
        edges.append(Edge(block.id, END, EdgeKind.END, block.span, outcome=f"goto:{block.flow.name}"))
    else:
        edges.append(_continue(flow, block, index))
    return edges


def _timeout_edge(block: QuestionBlock | FormBlock, handler: Ref | None) -> Edge:
    if handler is not None:
        return Edge(block.id, _to(handler), EdgeKind.ON_TIMEOUT, handler.span)
    return Edge(block.id, END, EdgeKind.ON_TIMEOUT, block.span, outcome="abandoned")


def edges(flow: Flow) -> list[Edge]:
    """All edges of the flow, block by block."""
    return [edge for out in adjacency(flow).values() for edge in out]


_ADJACENCY: weakref.WeakKeyDictionary[Flow, dict[str, list[Edge]]] = weakref.WeakKeyDictionary()


def adjacency(flow: Flow) -> dict[str, list[Edge]]:
    """Block id → its out-edges (targets that do not exist are kept; callers filter).

    Flows are immutable, so the result is computed once per flow; do not mutate it.
    """
    cached = _ADJACENCY.get(flow)
    if cached is None:
        cached = {block.id: successors(flow, block, i) for i, block in enumerate(flow.blocks)}
        _ADJACENCY[flow] = cached
    return cached


def reachable(flow: Flow, start: Iterable[str] | None = None) -> set[str]:
    """Ids of the blocks reachable from ``start`` (default: the entry block)."""
    adj = adjacency(flow)
    if start is None:
        start = [flow.blocks[0].id] if flow.blocks else []
    seen: set[str] = set()
    queue = deque(s for s in start if s in adj)
    seen.update(queue)
    while queue:
        for edge in adj[queue.popleft()]:
            if edge.target is not None and edge.target in adj and edge.target not in seen:
                seen.add(edge.target)
                queue.append(edge.target)
    return seen


def can_reach(flow: Flow, source: str, goal: Callable[[Block], bool]) -> bool:
    """Is a block satisfying ``goal`` reachable from ``source`` (``source`` excluded)?"""
    adj = adjacency(flow)
    firsts = [e.target for e in adj.get(source, []) if e.target is not None]
    for block_id in reachable(flow, firsts):
        block = flow.by_id.get(block_id)
        if block is not None and goal(block):
            return True
    return False


def strongly_connected(nodes: Iterable[str], succ: Callable[[str], Iterable[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative: the strongly connected components of a graph."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    result: list[list[str]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(succ(root)))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, it = work[-1]
            advanced = False
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(succ(nxt))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                result.append(component)
    return result


def busy_cycles(flow: Flow) -> list[list[str]]:
    """Cycles that can loop without any block waiting for the visitor.

    Each is a list of block ids in flow order; a flow that enters one never stops.
    """
    adj = adjacency(flow)
    busy = {b.id for b in flow.blocks if not b.waits}

    def succ(node: str) -> list[str]:
        return [e.target for e in adj[node] if e.target in busy]

    order = {b.id: i for i, b in enumerate(flow.blocks)}
    cycles = []
    for component in strongly_connected([b.id for b in flow.blocks if b.id in busy], succ):
        if len(component) > 1 or component[0] in succ(component[0]):
            cycles.append(sorted(component, key=order.__getitem__))
    return sorted(cycles, key=lambda c: order[c[0]])


def predecessors(flow: Flow) -> dict[str, list[Edge]]:
    """Block id → edges that enter it."""
    preds: dict[str, list[Edge]] = {b.id: [] for b in flow.blocks}
    for edge in edges(flow):
        if edge.target is not None and edge.target in preds:
            preds[edge.target].append(edge)
    return preds
