"""Diagrams of flows: a format-neutral model, overlays, and DOT / Mermaid / Graphviz output.

Public API (used by ``flowctl render`` and ``flowctl diff``)::

    flow_diagram(flow) -> Diagram
    project_diagram(project) -> Diagram
    read_coverage(coverage_json) -> {flow_id: FlowCounts}
    apply_coverage(diagram, counts)
    apply_lint(diagram, problems) -> int
    apply_edge_metrics(diagram, {edge_key: EdgeMetric(label, weight)}) -> None
    highlight(diagram, nodes={id: "added"|"removed"|"changed"}, edges={key: ...}) -> None
    to_dot(diagram) -> str;  to_mermaid(diagram) -> str
    render(diagram, fmt) -> bytes      # fmt: dot | mermaid | svg | png | pdf
"""

from __future__ import annotations

from flowctl.errors import ConfigError
from flowctl.render.build import flow_diagram, project_diagram
from flowctl.render.diagram import START_ID, Diagram, DiagramEdge, Node
from flowctl.render.dot import to_dot
from flowctl.render.graphviz import BINARY_FORMATS, find_dot, run_dot
from flowctl.render.mermaid import to_mermaid
from flowctl.render.overlays import (
    EdgeMetric,
    FlowCounts,
    apply_coverage,
    apply_edge_metrics,
    apply_lint,
    highlight,
    read_coverage,
)

FORMATS = ("dot", "mermaid", *BINARY_FORMATS)
SUFFIXES = {".dot": "dot", ".gv": "dot", ".svg": "svg", ".png": "png", ".pdf": "pdf",
            ".mmd": "mermaid", ".mermaid": "mermaid"}
EXTENSIONS = {"dot": ".dot", "mermaid": ".mmd", "svg": ".svg", "png": ".png", "pdf": ".pdf"}


def render(diagram: Diagram, fmt: str) -> bytes:
    """``diagram`` in format ``fmt``: text formats as UTF-8, others through Graphviz."""
    if fmt == "dot":
        return to_dot(diagram).encode("utf-8")
    if fmt == "mermaid":
        return to_mermaid(diagram).encode("utf-8")
    if fmt in BINARY_FORMATS:
        return run_dot(to_dot(diagram), fmt)
    raise ConfigError(f"unknown format '{fmt}'", hint=f"choose one of {', '.join(FORMATS)}")


__all__ = [
    "EXTENSIONS", "FORMATS", "START_ID", "SUFFIXES", "Diagram", "DiagramEdge", "EdgeMetric",
    "FlowCounts", "Node",
    "apply_coverage", "apply_edge_metrics", "apply_lint", "find_dot", "flow_diagram",
    "highlight", "project_diagram", "read_coverage", "render", "run_dot", "to_dot", "to_mermaid",
]
