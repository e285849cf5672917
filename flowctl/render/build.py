"""Diagrams from the model: one flow (:func:`flow_diagram`) or the project map
(:func:`project_diagram`)."""

from __future__ import annotations

from flowctl.model.blocks import Block, EndBlock, EscalateBlock, GotoBlock
from flowctl.model.flow import Flow
from flowctl.model.graph import edges
from flowctl.model.project import Project
from flowctl.render.diagram import DASHED_KINDS, START_ID, Diagram, DiagramEdge, Node, legend_for
from flowctl.render.layout import add_connectors
from flowctl.render.words import (
    EVENT_WORDS,
    LINE_WIDTH,
    block_lines,
    condition_text,
    edge_label,
    start_lines,
    template_text,
    wrap,
)


def _note(block: Block) -> str | None:
    """The block's note; an escalation's note is what the agent reads, so it says so."""
    text = template_text(block.note)
    if not text:
        return None
    return f"for the agent: {text}" if isinstance(block, EscalateBlock) else text


def flow_diagram(flow: Flow) -> Diagram:
    """The diagram of one flow: start node, a node per block, end nodes, every edge."""
    nodes: list[Node] = [Node(START_ID, "start", ["Start", *start_lines(flow.start)],
                              tooltip=flow.title or flow.id,
                              line=flow.start.span.line if flow.start else None)]
    for block in flow.blocks:
        nodes.append(Node(block.id, block.type, [block.id, *block_lines(block)],
                          note=_note(block), block_id=block.id,
                          line=block.span.line, tooltip=block.type))
    block_ids = {block.id for block in flow.blocks}
    ends: dict[str, Node] = {}
    missing: dict[str, Node] = {}
    out: list[DiagramEdge] = []
    if flow.entry is not None:
        out.append(DiagramEdge(START_ID, flow.entry.id, "start"))
    for edge in edges(flow):
        source = flow.by_id.get(edge.source)
        if edge.target is None and isinstance(source, EndBlock | GotoBlock):
            continue  # the block itself shows how the flow ends
        if edge.target is None:
            outcome = edge.outcome or "completed"
            target = f"__end__{outcome}"
            if target not in ends:
                ends[target] = Node(target, "end", [f"end: {outcome}"])
        elif edge.target not in block_ids:
            target = f"__missing__{edge.target}"
            if target not in missing:
                missing[target] = Node(target, "missing", [f"? {edge.target}", "no such block"])
        else:
            target = edge.target
        out.append(DiagramEdge(edge.source, target, edge.kind, edge_label(edge, source),
                               "dashed" if edge.kind in DASHED_KINDS else "solid", edge.key))
    nodes.extend(missing.values())
    nodes.extend(ends.values())
    title = f"{flow.id}: {flow.title}" if flow.title else flow.id
    diagram = Diagram(flow.id, title, nodes, out, legend_for(n.kind for n in nodes), file=flow.file)
    add_connectors(diagram)
    return diagram


def project_diagram(project: Project) -> Diagram:
    """The project map: a node per flow, its start events, ``goto`` edges between flows."""
    nodes: list[Node] = []
    out: list[DiagramEdge] = []
    events: dict[str, Node] = {}
    flow_ids = {flow.id for flow in project.flows}
    missing: dict[str, Node] = {}
    for flow in sorted((f for f in project.flows if f.id), key=lambda f: f.id):  # no id: no flow
        lines = [flow.id, *wrap(flow.title, max_lines=2)]
        start = flow.start
        if start is not None:
            extra = [f"priority {start.priority}"] if start.priority else []
            if start.schedule is not None:
                extra.append(f"during {start.schedule.name}")
            if start.when is not None:
                lines.extend(wrap("if " + condition_text(start.when), LINE_WIDTH + 6, 2))
            if extra:
                lines.append(", ".join(extra))
        nodes.append(Node(f"flow:{flow.id}", "flow", lines, block_id=None, tooltip=flow.file))
        for event in start.on if start else ():
            event_id = f"event:{event}"
            if event_id not in events:
                words = (f"custom event {event.name}" if event.type == "custom"
                         else EVENT_WORDS.get(event.type, event.type).removeprefix("when "))
                events[event_id] = Node(event_id, "event", [words])
            out.append(DiagramEdge(event_id, f"flow:{flow.id}", "starts"))
        for block in flow.blocks:
            if isinstance(block, GotoBlock):
                target = f"flow:{block.flow.name}"
                if block.flow.name not in flow_ids and target not in missing:
                    missing[target] = Node(target, "missing-flow",
                                           [f"? {block.flow.name}", "no such flow"])
                out.append(DiagramEdge(f"flow:{flow.id}", target, "goto", f"goto ({block.id})"))
    all_nodes = [*sorted(events.values(), key=lambda n: n.id), *nodes, *missing.values()]
    return Diagram("project", "flow map", all_nodes, out,
                   legend_for(n.kind for n in all_nodes), kind="project", dashed_legend=False)
