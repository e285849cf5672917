"""The semantic difference of two sets of flows: a pure function over model objects.

Flows are matched by id (a file renamed with the same flow id is a change of ``file``, not a
flow removed and another added).  Inside a flow, blocks are matched by id; an id that
disappeared and a new one of the same type whose content is equal or nearly equal (block
references compared through the renames) is a **rename**.  Every remaining difference is
reported field by field, with paths such as ``choices[2].label`` (list positions 1-based),
and with the positions of both sides.  Block order only matters through fall-through, so a
block is reported as **moved** only when its position changed *and* the blocks it falls
through to, or that fall through to it, changed.  Edges (:func:`flowctl.model.graph.edges`)
are compared with old ids mapped through the renames, so a rename alone is no edge churn.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher
from typing import Any

from flowctl.diff.represent import block_plain, join, leaves, span_for, start_plain
from flowctl.diff.sources import Side
from flowctl.model.flow import Flow
from flowctl.model.graph import Edge, edges
from flowctl.model.span import SourceSpan

#: How similar (0..1) a removed and an added block must be to count as one renamed block.
RENAME_THRESHOLD = 0.75
END = "(end)"


@dataclass(frozen=True)
class FieldChange:
    """One value that differs: ``before``/``after`` are plain JSON values (None when absent)."""

    field: str
    before: Any
    after: Any
    before_span: SourceSpan | None = None
    after_span: SourceSpan | None = None


@dataclass(frozen=True)
class Move:
    """A block whose position changed and with it what falls through to or from it.

    Positions are 1-based; ``falls_to`` is the block control falls through to after this one
    (``(end)`` when it falls off the end of the list, None when it never falls through);
    ``falls_from`` the block that falls through into it.  Ids are the new ids.
    """

    before_index: int
    after_index: int
    falls_to_before: str | None
    falls_to_after: str | None
    falls_from_before: str | None
    falls_from_after: str | None


@dataclass(frozen=True)
class BlockDiff:
    id: str  # the new id (the old one for a removed block)
    type: str
    status: str  # added | removed | changed
    before_span: SourceSpan | None = None
    after_span: SourceSpan | None = None
    renamed_from: str | None = None
    fields: tuple[FieldChange, ...] = ()
    moved: Move | None = None


@dataclass(frozen=True)
class EdgeChange:
    key: str  # ``source -kind[label]-> target`` with new ids
    source: str
    target: str | None
    kind: str
    label: str
    span: SourceSpan


@dataclass(frozen=True)
class FlowDiff:
    id: str
    status: str  # added | removed | changed
    before_span: SourceSpan | None = None
    after_span: SourceSpan | None = None
    fields: tuple[FieldChange, ...] = ()  # file, title, description, entry
    start: tuple[FieldChange, ...] = ()
    blocks: tuple[BlockDiff, ...] = ()
    edges_added: tuple[EdgeChange, ...] = ()
    edges_removed: tuple[EdgeChange, ...] = ()

    @property
    def file(self) -> str:
        span = self.after_span or self.before_span
        return span.file if span else ""

    def count(self, status: str) -> int:
        return sum(1 for block in self.blocks if block.status == status)


@dataclass(frozen=True)
class ProjectDiff:
    flows: tuple[FlowDiff, ...] = field(default=())  # only flows that differ, by id

    @property
    def has_changes(self) -> bool:
        return bool(self.flows)

    def summary(self) -> dict[str, int]:
        changed = [f for f in self.flows if f.status == "changed"]
        return {
            "flows_added": sum(1 for f in self.flows if f.status == "added"),
            "flows_removed": sum(1 for f in self.flows if f.status == "removed"),
            "flows_changed": len(changed),
            "blocks_added": sum(f.count("added") for f in changed),
            "blocks_removed": sum(f.count("removed") for f in changed),
            "blocks_changed": sum(f.count("changed") for f in changed),
            "edges_added": sum(len(f.edges_added) for f in changed),
            "edges_removed": sum(len(f.edges_removed) for f in changed),
        }


def diff_projects(before: Iterable[Flow], after: Iterable[Flow], *,
                  relative: tuple[Callable[[str], str], Callable[[str], str]] | None = None,
                  ) -> ProjectDiff:
    """What changed from ``before`` to ``after``, flow by flow (sorted by flow id).

    Flows pair up by id; an id that several files use (on either side) pairs up by id and
    file, so two unrelated flows that happen to share an id are never compared.  ``relative``
    maps each side's file names to comparable ones (two folders compared: names below each)."""
    rel_a, rel_b = relative or (_same, _same)
    before, after = list(before), list(after)
    shared = _duplicate_ids(before) | _duplicate_ids(after)
    old, new = _keyed(before, shared, rel_a), _keyed(after, shared, rel_b)
    out: list[FlowDiff] = []
    for key in sorted(old.keys() | new.keys()):
        a, b = old.get(key), new.get(key)
        if a is None and b is not None:
            out.append(_whole(b, "added"))
        elif b is None and a is not None:
            out.append(_whole(a, "removed"))
        elif a is not None and b is not None:
            result = diff_flows(a, b, moved=rel_a(a.file) != rel_b(b.file))
            if result is not None:
                out.append(result)
    return ProjectDiff(tuple(out))


def diff_sides(before: Side, after: Side) -> ProjectDiff:
    """:func:`diff_projects` of two sides read by :mod:`flowctl.diff.sources`.  The flows of
    a file that cannot be read on the other side are left out: a file broken in the working
    tree does not mean its flows were removed."""
    broken_after = {after.relative(file) for file in after.unreadable}
    broken_before = {before.relative(file) for file in before.unreadable}
    return diff_projects(
        [flow for flow in before.flows if before.relative(flow.file) not in broken_after],
        [flow for flow in after.flows if after.relative(flow.file) not in broken_before],
        relative=(before.relative, after.relative))


def _same(file: str) -> str:
    return file


def _duplicate_ids(flows: list[Flow]) -> set[str]:
    seen: set[str] = set()
    twice: set[str] = set()
    for flow in flows:
        (twice if flow.id in seen else seen).add(flow.id)
    return twice


def _keyed(flows: list[Flow], shared: set[str],
           relative: Callable[[str], str]) -> dict[tuple[str, str], Flow]:
    out: dict[tuple[str, str], Flow] = {}
    for flow in flows:
        key = (flow.id, relative(flow.file) if flow.id in shared else "")
        out.setdefault(key, flow)  # the same id twice in one file: the first wins
    return out


def _edge_change(edge: Edge) -> EdgeChange:
    return EdgeChange(edge.key, edge.source, edge.target, edge.kind, edge.label, edge.span)


def _whole(flow: Flow, status: str) -> FlowDiff:
    """A flow added or removed: every block and edge with it."""
    blocks = tuple(
        BlockDiff(block.id, block.type, status,
                  before_span=block.span if status == "removed" else None,
                  after_span=block.span if status == "added" else None)
        for block in flow.blocks
    )
    changes = tuple(_edge_change(edge) for edge in edges(flow))
    return FlowDiff(
        flow.id, status,
        before_span=flow.span if status == "removed" else None,
        after_span=flow.span if status == "added" else None,
        blocks=blocks,
        edges_added=changes if status == "added" else (),
        edges_removed=changes if status == "removed" else (),
    )


# -- values ---------------------------------------------------------------------------

_ABSENT: Any = None


def diff_values(path: str, a: Any, b: Any) -> list[tuple[str, Any, Any]]:
    """``(path, before, after)`` for every difference of two plain values.

    Mappings are compared key by key; lists of mappings (choices, cases, form fields,
    buttons) are aligned item by item, so a changed label is one change of
    ``choices[2].label``; other values are compared whole.
    """
    if a == b:
        return []
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[tuple[str, Any, Any]] = []
        for key in [*b, *(k for k in a if k not in b)]:
            out.extend(diff_values(join(path, key), a.get(key, _ABSENT), b.get(key, _ABSENT)))
        return out
    if (isinstance(a, list) and isinstance(b, list)
            and any(isinstance(item, dict) for item in (*a, *b))):
        return _diff_items(path, a, b)
    return [(path, a, b)]


def _diff_items(path: str, a: list[Any], b: list[Any]) -> list[tuple[str, Any, Any]]:
    def key(item: Any) -> str:
        return json.dumps(item, sort_keys=True, default=str)

    out: list[tuple[str, Any, Any]] = []
    matcher = SequenceMatcher(None, [key(x) for x in a], [key(x) for x in b], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        paired = min(i2 - i1, j2 - j1)
        for k in range(paired):
            out.extend(diff_values(join(path, j1 + k + 1), a[i1 + k], b[j1 + k]))
        for i in range(i1 + paired, i2):
            out.append((join(path, i + 1), a[i], _ABSENT))
        for j in range(j1 + paired, j2):
            out.append((join(path, j + 1), _ABSENT, b[j]))
    return out


def similarity(a: Any, b: Any) -> float:
    """0..1: the share of scalar leaves that are equal (similar strings count in part)."""
    la, lb = leaves(a), leaves(b)
    keys = la.keys() | lb.keys()
    if not keys:
        return 1.0
    score = 0.0
    for k in keys:
        if k in la and k in lb:
            x, y = la[k], lb[k]
            if x == y:
                score += 1.0
            elif isinstance(x, str) and isinstance(y, str):
                score += 0.9 * SequenceMatcher(None, x, y, autojunk=False).ratio()
    return score / len(keys)


# -- flows ----------------------------------------------------------------------------


def find_renames(a: Flow, b: Flow) -> dict[str, str]:
    """Old id → new id for blocks that were renamed (same type, equal or nearly equal)."""
    old_ids = {block.id for block in a.blocks}
    new_ids = {block.id for block in b.blocks}
    removed = [block for block in a.blocks if block.id not in new_ids]
    added = [block for block in b.blocks if block.id not in old_ids]
    if not removed or not added:
        return {}
    unknown = {block.id: "?" for block in (*removed, *added)}  # refs to these: not compared
    index_a = {block.id: i for i, block in enumerate(a.blocks)}
    index_b = {block.id: i for i, block in enumerate(b.blocks)}
    reps_b = {block.id: block_plain(block, unknown, skip_defaults=True)[0] for block in added}
    candidates: list[tuple[float, int, str, str]] = []
    for old in removed:
        rep_a = block_plain(old, unknown, skip_defaults=True)[0]
        for new in added:
            if new.type != old.type:
                continue
            score = similarity(rep_a, reps_b[new.id])
            if score >= RENAME_THRESHOLD:
                distance = abs(index_a[old.id] - index_b[new.id])
                candidates.append((-score, distance, old.id, new.id))
    renames: dict[str, str] = {}
    taken: set[str] = set()
    for _, _, old_id, new_id in sorted(candidates):
        if old_id not in renames and new_id not in taken:
            renames[old_id] = new_id
            taken.add(new_id)
    return renames


def _fallthrough(flow: Flow, rename: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Block → where it falls through to, and block → which block falls through into it."""
    to: dict[str, str] = {}
    into: dict[str, str] = {}
    for edge in edges(flow):
        if edge.kind != "fallthrough":
            continue
        source = rename.get(edge.source, edge.source)
        target = rename.get(edge.target, edge.target) if edge.target is not None else END
        to[source] = target
        if target != END:
            into[target] = source
    return to, into


def _moves(a: Flow, b: Flow, rename: Mapping[str, str]) -> dict[str, Move]:
    order_a = [rename.get(block.id, block.id) for block in a.blocks]
    order_b = [block.id for block in b.blocks]
    common = set(order_a) & set(order_b)
    seq_a = [x for x in order_a if x in common]
    seq_b = [x for x in order_b if x in common]
    matcher = SequenceMatcher(None, seq_a, seq_b, autojunk=False)
    kept = {seq_b[j] for block in matcher.get_matching_blocks()
            for j in range(block.b, block.b + block.size)}
    to_a, into_a = _fallthrough(a, rename)
    to_b, into_b = _fallthrough(b, {})
    moves: dict[str, Move] = {}
    for block_id in seq_b:
        if block_id in kept:
            continue
        falls = (to_a.get(block_id), to_b.get(block_id), into_a.get(block_id), into_b.get(block_id))
        if falls[0] == falls[1] and falls[2] == falls[3]:
            continue  # moved, but nothing falls through differently: no change in behaviour
        moves[block_id] = Move(order_a.index(block_id) + 1, order_b.index(block_id) + 1, *falls)
    return moves


def _field_changes(path_changes: list[tuple[str, Any, Any]], spans_a: dict[str, SourceSpan],
                   spans_b: dict[str, SourceSpan], fallback_a: SourceSpan | None,
                   fallback_b: SourceSpan | None) -> tuple[FieldChange, ...]:
    return tuple(
        FieldChange(path, before, after,
                    span_for(spans_a, path, fallback_a), span_for(spans_b, path, fallback_b))
        for path, before, after in path_changes
    )


def _block_diffs(a: Flow, b: Flow, rename: Mapping[str, str]) -> list[BlockDiff]:
    old_by_new = {rename.get(block.id, block.id): block for block in a.blocks}
    moves = _moves(a, b, rename)
    out: list[tuple[float, BlockDiff]] = []
    for index, new in enumerate(b.blocks):
        old = old_by_new.get(new.id)
        if old is None:
            out.append((index, BlockDiff(new.id, new.type, "added", after_span=new.span)))
            continue
        retyped = old.type != new.type  # then compare what was written, not the defaults
        rep_a, spans_a = block_plain(old, rename, skip_defaults=retyped)
        rep_b, spans_b = block_plain(new, skip_defaults=retyped)
        if retyped:
            rep_a, rep_b = _as_written(rep_a, spans_a), _as_written(rep_b, spans_b)
        changes = _field_changes(diff_values("", rep_a, rep_b), spans_a, spans_b, old.span, new.span)
        renamed = old.id if old.id != new.id else None
        move = moves.get(new.id)
        if changes or renamed or move:
            out.append((index, BlockDiff(new.id, new.type, "changed", old.span, new.span,
                                         renamed, changes, move)))
    new_ids = {block.id for block in b.blocks}
    position_b = {block.id: i for i, block in enumerate(b.blocks)}
    for index, old in enumerate(a.blocks):
        if rename.get(old.id, old.id) in new_ids:
            continue
        # place a removed block after the surviving block that preceded it
        anchor = -0.5
        for earlier in reversed(a.blocks[:index]):
            mapped = rename.get(earlier.id, earlier.id)
            if mapped in position_b:
                anchor = position_b[mapped] + 0.5
                break
        out.append((anchor, BlockDiff(old.id, old.type, "removed", before_span=old.span)))
    out.sort(key=lambda item: item[0])
    return [diff for _, diff in out]


def _as_written(plain: dict[str, Any], spans: Mapping[str, SourceSpan]) -> dict[str, Any]:
    """Only the keys the author wrote (and ``type``): no values derived from others."""
    return {key: value for key, value in plain.items() if key == "type" or key in spans}


def _edge_changes(a: Flow, b: Flow, rename: Mapping[str, str]) -> tuple[
        tuple[EdgeChange, ...], tuple[EdgeChange, ...]]:
    def mapped(edge: Edge) -> Edge:
        target = rename.get(edge.target, edge.target) if edge.target is not None else None
        return replace(edge, source=rename.get(edge.source, edge.source), target=target)

    old = {edge.key: edge for edge in map(mapped, edges(a))}
    new = {edge.key: edge for edge in edges(b)}
    gone = [edge for key, edge in old.items() if key not in new]
    came = [edge for key, edge in new.items() if key not in old]
    # a choice relabelled (same block, same target) is a field change of the block, not an
    # edge removed and another added: the edge key carries the label only to tell choices apart
    relabelled = {(e.source, e.target) for e in gone if e.kind == "choice"} & {
        (e.source, e.target) for e in came if e.kind == "choice"}
    added = tuple(_edge_change(e) for e in came
                  if e.kind != "choice" or (e.source, e.target) not in relabelled)
    removed = tuple(_edge_change(e) for e in gone
                    if e.kind != "choice" or (e.source, e.target) not in relabelled)
    return added, removed


def _flow_fields(a: Flow, b: Flow, rename: Mapping[str, str], moved: bool,
                 ) -> tuple[FieldChange, ...]:
    entry_a = rename.get(a.entry.id, a.entry.id) if a.entry else None
    entry_b = b.entry.id if b.entry else None
    changes: list[FieldChange] = []
    if moved:
        changes.append(FieldChange("file", a.file, b.file, a.span, b.span))
    for name in ("title", "description"):
        if getattr(a, name) != getattr(b, name):
            changes.append(FieldChange(name, getattr(a, name), getattr(b, name), a.span, b.span))
    if entry_a != entry_b:
        changes.append(FieldChange("entry", entry_a, entry_b,
                                   a.entry.span if a.entry else a.span,
                                   b.entry.span if b.entry else b.span))
    return tuple(changes)


def diff_flows(a: Flow, b: Flow, *, moved: bool | None = None) -> FlowDiff | None:
    """The difference of two versions of one flow, or None when they mean the same.
    ``moved``: whether the file moved (default: whether the file names differ)."""
    rename = find_renames(a, b)
    start_a, spans_a = start_plain(a.start)
    start_b, spans_b = start_plain(b.start)
    start = _field_changes(diff_values("", start_a, start_b), spans_a, spans_b,
                           a.start.span if a.start else a.span, b.start.span if b.start else b.span)
    blocks = _block_diffs(a, b, rename)
    added, removed = _edge_changes(a, b, rename)
    fields = _flow_fields(a, b, rename, a.file != b.file if moved is None else moved)
    if not (fields or start or blocks or added or removed):
        return None
    return FlowDiff(a.id, "changed", a.span, b.span, fields, start, tuple(blocks), added, removed)

