"""``flowctl diff --render DIR``: before and after diagrams with the changes highlighted.

Built on :mod:`flowctl.render` (``flow_diagram`` + the ``highlight`` overlay): on the
*before* diagram removed blocks and edges are red and changed blocks orange; on the *after*
diagram added ones are green and changed ones orange.  A changed start condition marks the
start node.  SVG when Graphviz ``dot`` is installed, DOT text otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from flowctl.diff.result import FlowDiff, ProjectDiff
from flowctl.errors import ConfigError
from flowctl.files import write_output
from flowctl.model.flow import Flow
from flowctl.model.graph import edges

Marks = tuple[dict[str, str], dict[str, str], dict[str, str]]  # nodes, edges, node notes
_CHANGED_EXIT = re.compile(r"^(cases|choices)\[(\d+)\]\.(when|label|next)$")


def _changed_exits(block_id: str, fields: Iterable[str], flow: Flow | None) -> dict[str, str]:
    """The edges of ``block_id`` in ``flow`` whose case condition or choice changed."""
    if flow is None:
        return {}
    wanted: set[tuple[str, str]] = set()
    for name in fields:
        match = _CHANGED_EXIT.match(name)
        if match:
            wanted.add(("case" if match[1] == "cases" else "choice", match[2]))
    if not wanted:
        return {}
    block = flow.by_id.get(block_id)
    choices = [c.label for c in getattr(block, "choices", ())]
    out = {}
    for edge in edges(flow):
        if edge.source != block_id:
            continue
        if edge.kind == "case" and ("case", edge.label.removeprefix("case ")) in wanted:
            out[edge.key] = "changed"
        if edge.kind == "choice" and edge.label in choices and (
                "choice", str(choices.index(edge.label) + 1)) in wanted:
            out[edge.key] = "changed"
    return out


def _marks(flow_diff: FlowDiff, before: Flow | None, after: Flow | None) -> tuple[Marks, Marks]:
    """Marks for the before and the after diagram."""
    from flowctl.render import START_ID

    old_nodes: dict[str, str] = {}
    new_nodes: dict[str, str] = {}
    old_edges: dict[str, str] = {}
    new_edges: dict[str, str] = {}
    notes: dict[str, str] = {}
    for block in flow_diff.blocks:
        if block.status == "removed":
            old_nodes[block.id] = "removed"
        elif block.status == "added":
            new_nodes[block.id] = "added"
        else:
            old_id = block.renamed_from or block.id
            old_nodes[old_id] = new_nodes[block.id] = "changed"
            if block.renamed_from:
                notes[block.id] = f"renamed from {block.renamed_from}"
            fields = [change.field for change in block.fields]
            old_edges.update(_changed_exits(old_id, fields, before))
            new_edges.update(_changed_exits(block.id, fields, after))
    if flow_diff.start:
        old_nodes[START_ID] = new_nodes[START_ID] = "changed"
    old_edges.update({edge.before_key or edge.key: "removed" for edge in flow_diff.edges_removed})
    new_edges.update({edge.key: "added" for edge in flow_diff.edges_added})
    return (old_nodes, old_edges, {}), (new_nodes, new_edges, notes)


def render_diff(diff: ProjectDiff, before: Iterable[Flow], after: Iterable[Flow], folder: Path,
                fmt: str | None = None) -> list[Path]:
    """Write ``<flow>.before.<ext>`` and ``<flow>.after.<ext>`` for each flow that differs."""
    from flowctl.render import EXTENSIONS, find_dot, flow_diagram, highlight, render

    if fmt is None:
        try:
            find_dot()
            fmt = "svg"
        except ConfigError:
            fmt = "dot"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create {folder}: {exc.strerror}") from None
    old = {(flow.id, flow.file): flow for flow in reversed(list(before))}  # first one wins
    new = {(flow.id, flow.file): flow for flow in reversed(list(after))}
    ids = [flow_diff.id for flow_diff in diff.flows]
    written: list[Path] = []
    for flow_diff in diff.flows:
        a = old.get((flow_diff.id, flow_diff.before_span.file)) if flow_diff.before_span else None
        b = new.get((flow_diff.id, flow_diff.after_span.file)) if flow_diff.after_span else None
        name = flow_diff.id
        if ids.count(flow_diff.id) > 1:  # flows that share an id: tell the files apart
            name += "." + re.sub(r"[^A-Za-z0-9_-]+", "_", flow_diff.file.removesuffix(".flow.yaml"))
        before_marks, after_marks = _marks(flow_diff, a, b)
        for side, flow, (nodes, marks, notes) in (("before", a, before_marks),
                                                 ("after", b, after_marks)):
            if flow is None:
                continue
            diagram = flow_diagram(flow)
            if flow_diff.status == "changed":
                highlight(diagram, nodes=nodes, edges=marks, notes=notes)
            else:  # a whole flow added or removed: every block and edge
                mark = flow_diff.status
                highlight(diagram, nodes={n.id: mark for n in diagram.nodes},
                          edges={e.key: mark for e in diagram.edges if e.key})
            path = folder / f"{name}.{side}{EXTENSIONS[fmt]}"
            write_output(path, render(diagram, fmt))
            written.append(path)
    return written
