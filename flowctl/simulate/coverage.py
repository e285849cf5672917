"""Which edges and blocks of each flow the visitors exercised.

The engine records the blocks entered (``state.path``) and edge keys taken
(``state.edges``) without naming their flow; a conversation's flows are in ``state.flows``
(``goto`` adds one).  Entries are attributed by walking both lists: everything up to and
including a ``goto`` block belongs to the current flow, what follows to the next one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flowctl.engine.state import Conversation
from flowctl.model.blocks import GotoBlock
from flowctl.model.flow import Flow
from flowctl.model.graph import Edge, edges
from flowctl.model.project import Project


@dataclass
class FlowCoverage:
    flow: Flow
    edges: dict[str, int] = field(default_factory=dict)  # every edge key → times taken
    blocks: dict[str, int] = field(default_factory=dict)  # every block id → times entered
    edge_spans: dict[str, Edge] = field(default_factory=dict)

    @property
    def covered_edges(self) -> int:
        return sum(1 for count in self.edges.values() if count)

    @property
    def total_edges(self) -> int:
        return len(self.edges)

    @property
    def covered_blocks(self) -> int:
        return sum(1 for count in self.blocks.values() if count)

    @property
    def percent(self) -> float:
        if not self.edges:
            return 100.0
        return round(100.0 * self.covered_edges / self.total_edges, 1)

    @property
    def uncovered(self) -> list[Edge]:
        return [self.edge_spans[key] for key, count in self.edges.items() if not count]

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.flow.file,
            "edges": dict(self.edges),
            "blocks": dict(self.blocks),
            "covered_edges": self.covered_edges,
            "total_edges": self.total_edges,
            "covered_blocks": self.covered_blocks,
            "total_blocks": len(self.blocks),
            "percent": self.percent,
        }


@dataclass
class Coverage:
    flows: dict[str, FlowCoverage]

    def to_json(self) -> dict[str, Any]:
        return {"version": 1, "flows": {fid: fc.to_json() for fid, fc in self.flows.items()}}

    def under(self, minimum: float) -> list[FlowCoverage]:
        return [fc for fc in self.flows.values() if fc.percent < minimum]


def empty_coverage(flow: Flow) -> FlowCoverage:
    found = edges(flow)
    return FlowCoverage(
        flow,
        edges={edge.key: 0 for edge in found},
        blocks={block.id: 0 for block in flow.blocks},
        edge_spans={edge.key: edge for edge in found},
    )


def _is_goto(flow: Flow | None, block_id: str) -> bool:
    return flow is not None and isinstance(flow.by_id.get(block_id), GotoBlock)


def attribute(state: Conversation, project: Project) -> tuple[list[tuple[str, str]],
                                                               list[tuple[str, str]]]:
    """``(flow, block)`` for each entry of the path, ``(flow, edge key)`` for each edge."""
    flows = state.flows or [state.flow]
    blocks: list[tuple[str, str]] = []
    index = 0
    for block_id in state.path:
        flow_id = flows[min(index, len(flows) - 1)]
        blocks.append((flow_id, block_id))
        if _is_goto(project.flow(flow_id), block_id):
            index += 1
    taken: list[tuple[str, str]] = []
    index = 0
    for key in state.edges:
        flow_id = flows[min(index, len(flows) - 1)]
        taken.append((flow_id, key))
        source = key.split(" -", 1)[0]
        if key.endswith("-> (end)") and _is_goto(project.flow(flow_id), source):
            index += 1
    return blocks, taken


def compute(project: Project, states: Iterable[Conversation],
            flow_ids: Iterable[str] | None = None) -> Coverage:
    """Coverage of ``flow_ids`` (default: every flow) by the given final states."""
    wanted = list(flow_ids) if flow_ids is not None else [f.id for f in project.flows]
    result: dict[str, FlowCoverage] = {}
    for flow_id in wanted:
        flow = project.flow(flow_id)
        if flow is not None:
            result[flow_id] = empty_coverage(flow)
    for state in states:
        blocks, taken = attribute(state, project)
        for flow_id, block_id in blocks:
            fc = result.get(flow_id)
            if fc is not None and block_id in fc.blocks:
                fc.blocks[block_id] += 1
        for flow_id, key in taken:
            fc = result.get(flow_id)
            if fc is not None and key in fc.edges:
                fc.edges[key] += 1
    return Coverage(result)
