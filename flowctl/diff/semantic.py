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

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from flowctl.diff.matching import diff_values, find_moves, find_renames
from flowctl.diff.represent import block_plain, span_for, start_plain
from flowctl.diff.result import BlockDiff, EdgeChange, FieldChange, FlowDiff, ProjectDiff
from flowctl.diff.sources import Side
from flowctl.model.flow import Flow
from flowctl.model.graph import Edge, edges
from flowctl.model.span import SourceSpan


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
    moves = find_moves(a, b, rename)
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

    original = {mapped(edge).key: edge.key for edge in edges(a)}
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
    removed = tuple(replace(_edge_change(e), before_key=original[e.key]) for e in gone
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

