"""Overlays: they mark an existing diagram in place.

* :func:`apply_coverage` – edges never taken become ``uncovered`` (red, bold);
* :func:`apply_lint` – blocks with problems are outlined and labelled with the rule codes;
* :func:`apply_edge_metrics` – the hook for the runtime's analytics (traffic and drop-off
  per edge): a label suffix and a pen width scaled by weight;
* :func:`highlight` – ``added`` / ``removed`` / ``changed`` marks, used by ``flowctl diff``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flowctl.errors import ConfigError
from flowctl.model.problem import Problem, Severity
from flowctl.render.diagram import START_ID, Diagram


@dataclass(frozen=True)
class FlowCounts:
    """How often a flow's edges (by ``Edge.key``) and blocks ran, from a coverage file."""

    edges: Mapping[str, int]
    blocks: Mapping[str, int]


def read_coverage(data: Any, source: str = "the coverage file") -> dict[str, FlowCounts]:
    """The per-flow counts of ``flowctl simulate --coverage-file`` JSON; anything else is a
    :class:`ConfigError` that says what is wrong where."""
    flows = data.get("flows") if isinstance(data, Mapping) else None
    if not isinstance(flows, Mapping):
        raise ConfigError(f"{source} is not a flowctl coverage file (no 'flows' mapping)",
                          hint="write one with `flowctl simulate --coverage-file FILE`")
    out: dict[str, FlowCounts] = {}
    for flow_id, entry in flows.items():
        if not isinstance(entry, Mapping):
            raise ConfigError(f"{source}: flows.{flow_id} is not a mapping")
        counts = []
        for part in ("edges", "blocks"):
            table = entry.get(part, {})
            if not isinstance(table, Mapping):
                raise ConfigError(f"{source}: flows.{flow_id}.{part} is not a mapping",
                                  hint="edges and blocks map names to whole numbers ≥ 0")
            bad = next((key for key, n in table.items()
                        if isinstance(n, bool) or not isinstance(n, int) or n < 0), None)
            if bad is not None:
                raise ConfigError(f"{source}: flows.{flow_id}.{part}.{bad} is not a count",
                                  hint="edges and blocks map names to whole numbers ≥ 0")
            counts.append(dict(table))
        out[str(flow_id)] = FlowCounts(counts[0], counts[1])
    return out


def apply_coverage(diagram: Diagram, counts: FlowCounts) -> None:
    """Mark the diagram by how often things ran: covered edges keep their style and show the
    count; edges never taken, and blocks never entered, get the ``uncovered`` class (red)."""
    for edge in diagram.edges:
        if edge.key is None or edge.key not in counts.edges:
            continue
        count = counts.edges[edge.key]
        if count:
            edge.classes.add("covered")
            edge.suffix = f"×{count}"
        else:
            edge.classes.add("uncovered")
    for node in diagram.nodes:
        if node.block_id is not None and counts.blocks.get(node.block_id, 1) == 0:
            node.classes.add("uncovered")


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


@dataclass(frozen=True)
class EdgeMetric:
    """What the runtime measured on one edge: words to show and a weight (traffic)."""

    label: str = ""
    weight: float = 0.0


def apply_edge_metrics(diagram: Diagram, metrics: Mapping[str, EdgeMetric]) -> None:
    """Hook for the runtime's analytics overlay, by edge key.  The label is appended to the
    edge's label (e.g. ``"1 204 · 12% drop"``) and the pen width grows with the weight,
    relative to the largest weight given."""
    top = max((m.weight for m in metrics.values()), default=0.0) or 1.0
    for edge in diagram.edges:
        metric = metrics.get(edge.key) if edge.key is not None else None
        if metric is None:
            continue
        if metric.label:
            edge.suffix = f"{edge.suffix} {metric.label}".strip()
        edge.weight = max(0.0, metric.weight) / top
        edge.classes.add("metric")


def highlight(diagram: Diagram, *, nodes: Mapping[str, str] | None = None,
              edges: Mapping[str, str] | None = None,
              notes: Mapping[str, str] | None = None) -> None:
    """Mark nodes (by block id or node id) and edges (by ``Edge.key``) with a class:
    ``added``, ``removed`` or ``changed``; ``notes`` add words to a node's mark (such as
    "renamed from ask_email").  Used by ``flowctl diff --render``."""
    for node_id, mark in (nodes or {}).items():
        node = diagram.node(node_id)
        if node is not None:
            node.classes.add(mark)
    for node_id, words in (notes or {}).items():
        node = diagram.node(node_id)
        if node is not None:
            node.mark_note = words
    for key, mark in (edges or {}).items():
        edge = diagram.edge(key)
        if edge is not None:
            edge.classes.add(mark)
