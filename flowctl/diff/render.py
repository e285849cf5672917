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
from flowctl.model.flow import Flow


def _marks(flow_diff: FlowDiff) -> tuple[
        tuple[dict[str, str], dict[str, str]], tuple[dict[str, str], dict[str, str]]]:
    """(nodes, edges) marks for the before and the after diagram."""
    from flowctl.render import START_ID

    old_nodes: dict[str, str] = {}
    new_nodes: dict[str, str] = {}
    for block in flow_diff.blocks:
        if block.status == "removed":
            old_nodes[block.id] = "removed"
        elif block.status == "added":
            new_nodes[block.id] = "added"
        else:
            old_nodes[block.renamed_from or block.id] = "changed"
            new_nodes[block.id] = "changed"
    if flow_diff.start:
        old_nodes[START_ID] = new_nodes[START_ID] = "changed"
    old_edges = {edge.before_key or edge.key: "removed" for edge in flow_diff.edges_removed}
    new_edges = {edge.key: "added" for edge in flow_diff.edges_added}
    return (old_nodes, old_edges), (new_nodes, new_edges)


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
        (old_nodes, old_edges), (new_nodes, new_edges) = _marks(flow_diff)
        for side, flow, nodes, marks in (("before", a, old_nodes, old_edges),
                                         ("after", b, new_nodes, new_edges)):
            if flow is None:
                continue
            diagram = flow_diagram(flow)
            if flow_diff.status == "changed":
                highlight(diagram, nodes=nodes, edges=marks)
            else:  # a whole flow added or removed: every block and edge
                mark = flow_diff.status
                highlight(diagram, nodes={n.id: mark for n in diagram.nodes},
                          edges={e.key: mark for e in diagram.edges if e.key})
            path = folder / f"{name}.{side}{EXTENSIONS[fmt]}"
            path.write_bytes(render(diagram, fmt))
            written.append(path)
    return written
