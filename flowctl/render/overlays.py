"""Overlays: they mark an existing diagram in place.

* :func:`apply_coverage` – edges never taken become ``uncovered`` (red, bold);
* :func:`apply_lint` – blocks with problems are outlined and labelled with the rule codes;
* :func:`apply_edge_metrics` – the hook for the runtime's analytics (traffic and drop-off
  per edge): a label suffix and a pen width scaled by weight;
* :func:`highlight` – ``added`` / ``removed`` / ``changed`` marks, used by ``flowctl diff``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flowctl.model.problem import Problem, Severity
from flowctl.render.diagram import START_ID, Diagram


def apply_coverage(diagram: Diagram, coverage_json: Mapping[str, Any], flow_id: str | None = None) -> bool:
    """Mark edges by the coverage JSON of ``flowctl simulate`` (``Coverage.to_json()``).

    Covered edges stay solid (or dashed for error exits) and show the count; edges never
    taken, and blocks never entered, get the ``uncovered`` class (red, bold).  Returns False,
    changing nothing, when the coverage has no data for the flow.
    """
    flows = coverage_json.get("flows") if isinstance(coverage_json, Mapping) else None
    data = flows.get(flow_id or diagram.id) if isinstance(flows, Mapping) else None
    if not isinstance(data, Mapping):
        return False
    counts = data.get("edges") or {}
    blocks = data.get("blocks") or {}
    for edge in diagram.edges:
        if edge.key is None or edge.key not in counts:
            continue
        count = int(counts[edge.key] or 0)
        if count:
            edge.classes.add("covered")
            edge.suffix = f"×{count}"
        else:
            edge.classes.add("uncovered")
    for node in diagram.nodes:
        if node.block_id is not None and node.block_id in blocks and not blocks[node.block_id]:
            node.classes.add("uncovered")
    return True


def apply_lint(diagram: Diagram, problems: Iterable[Problem]) -> int:
    """Outline the blocks that have problems (red: error, orange: warning) and label them with
    the rule codes.  A problem belongs to the block whose lines hold it; problems above the
    first block go to the start node.  Returns how many problems were placed."""
    placed = sorted((n for n in diagram.nodes if n.line is not None), key=lambda n: n.line or 0)
    count = 0
    for problem in problems:
        if diagram.file and problem.span.file != diagram.file:
            continue
        owner = None
        for node in placed:
            if (node.line or 0) <= problem.span.line:
                owner = node
        if owner is None:
            owner = diagram.node(START_ID)
        if owner is None:
            continue
        count += 1
        if problem.code and problem.code not in owner.badges:
            owner.badges.append(problem.code)
        severity = {Severity.ERROR: "lint-error", Severity.WARNING: "lint-warning"}.get(
            problem.severity, "lint-info")
        owner.classes.add(severity)
    for node in diagram.nodes:
        if "lint-error" in node.classes:
            node.classes -= {"lint-warning", "lint-info"}
        elif "lint-warning" in node.classes:
            node.classes.discard("lint-info")
        node.badges.sort()
    return count


def apply_edge_metrics(diagram: Diagram, metrics: Mapping[str, Mapping[str, Any]]) -> None:
    """Hook for the runtime's analytics overlay: per edge key ``{"label": str, "weight":
    float}``.  The label is appended to the edge's label (e.g. ``"1 204 · 12% drop"``) and the
    pen width grows with the weight, relative to the largest weight given."""
    weights = [float(m.get("weight") or 0) for m in metrics.values()]
    top = max(weights, default=0.0) or 1.0
    for edge in diagram.edges:
        if edge.key is None or edge.key not in metrics:
            continue
        metric = metrics[edge.key]
        label = str(metric.get("label") or "")
        if label:
            edge.suffix = f"{edge.suffix} {label}".strip()
        edge.weight = max(0.0, float(metric.get("weight") or 0)) / top
        edge.classes.add("metric")


def highlight(diagram: Diagram, *, nodes: Mapping[str, str] | None = None,
              edges: Mapping[str, str] | None = None) -> None:
    """Mark nodes (by block id or node id) and edges (by ``Edge.key``) with a class:
    ``added``, ``removed`` or ``changed``.  Used by ``flowctl diff --render``."""
    for node_id, mark in (nodes or {}).items():
        node = diagram.node(node_id)
        if node is not None:
            node.classes.add(mark)
    for key, mark in (edges or {}).items():
        edge = diagram.edge(key)
        if edge is not None:
            edge.classes.add(mark)
