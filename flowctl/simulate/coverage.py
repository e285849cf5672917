"""Which edges and blocks of each flow the visitors exercised.

Counted from the engine's trace: every block entered and every edge taken names its flow.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flowctl.engine.effects import Effect, Entered, Took
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


def compute(project: Project, traces: Iterable[Iterable[Effect]],
            flow_ids: Iterable[str] | None = None) -> Coverage:
    """Coverage of ``flow_ids`` (default: every flow) by the given traces (steps' logs)."""
    wanted = list(flow_ids) if flow_ids is not None else [f.id for f in project.flows]
    result: dict[str, FlowCoverage] = {}
    for flow_id in wanted:
        flow = project.flow(flow_id)
        if flow is not None:
            result[flow_id] = empty_coverage(flow)
    for trace in traces:
        for effect in trace:
            if isinstance(effect, Entered):
                fc = result.get(effect.flow)
                if fc is not None and effect.block in fc.blocks:
                    fc.blocks[effect.block] += 1
            elif isinstance(effect, Took):
                fc = result.get(effect.flow)
                if fc is not None and effect.edge.key in fc.edges:
                    fc.edges[effect.edge.key] += 1
    return Coverage(result)
