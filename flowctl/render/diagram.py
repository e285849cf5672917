"""The format-neutral model of a diagram: nodes, edges, a legend, and how each kind looks.

:mod:`flowctl.render.build` makes one from a flow or a project, :mod:`flowctl.render.layout`
and :mod:`flowctl.render.overlays` change it, and the backends (:mod:`flowctl.render.dot`,
:mod:`flowctl.render.mermaid`) only translate it.  Edges carry the graph's ``Edge.key`` so
that overlays (coverage, lint, diff, runtime analytics) can address them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

START_ID = "__start__"
DASHED_KINDS = frozenset({"on_invalid", "on_timeout", "on_error", "when_unavailable"})


@dataclass(frozen=True)
class KindStyle:
    """How one kind of node looks: fill and border colour, and a shape per backend."""

    label: str  # the legend's wording
    fill: str
    border: str
    dot_shape: str
    mermaid_shape: str  # key of flowctl.render.mermaid.SHAPES
    dot_style: str = "filled"


KIND_STYLES: dict[str, KindStyle] = {
    "start": KindStyle("start", "#C8E6C9", "#2E7D32", "box", "stadium", "rounded,filled,bold"),
    "message": KindStyle("message", "#E3F2FD", "#1565C0", "box", "round", "rounded,filled"),
    "question": KindStyle("question", "#FFF3E0", "#E65100", "box", "subroutine", "rounded,filled,bold"),
    "form": KindStyle("form", "#FFF8E1", "#F9A825", "box3d", "lean_right"),
    "ai": KindStyle("AI assistant", "#F3E5F5", "#6A1B9A", "hexagon", "hexagon"),
    "data_update": KindStyle("data update", "#E0F2F1", "#00695C", "cylinder", "cylinder"),
    "data_request": KindStyle("data request", "#E0F7FA", "#00838F", "cylinder", "cylinder"),
    "branch": KindStyle("branch", "#FFFDE7", "#F57F17", "diamond", "rhombus"),
    "tag": KindStyle("tag", "#F1F8E9", "#558B2F", "cds", "asymmetric"),
    "escalate": KindStyle("escalate to agent", "#FCE4EC", "#AD1457", "house", "trapezoid"),
    "end": KindStyle("end", "#ECEFF1", "#37474F", "octagon", "stadium", "filled,bold"),
    "set": KindStyle("set variables", "#F5F5F5", "#616161", "box", "rect"),
    "articles": KindStyle("articles", "#EDE7F6", "#4527A0", "note", "lean_left"),
    "goto": KindStyle("go to flow", "#E8EAF6", "#283593", "rarrow", "inv_trapezoid"),
    "missing": KindStyle("missing block", "#FFEBEE", "#C62828", "box", "rect", "dashed,filled"),
    "missing-flow": KindStyle("missing flow", "#FFEBEE", "#C62828", "box", "rect", "dashed,filled"),
    "connector": KindStyle("continues at", "#FFFFFF", "#455A64", "larrow", "asymmetric",
                           "filled,dashed"),
    "flow": KindStyle("flow", "#E3F2FD", "#1565C0", "box", "round", "rounded,filled,bold"),
    "event": KindStyle("start event", "#C8E6C9", "#2E7D32", "ellipse", "stadium"),
}

OVERLAY_COLOURS = {
    "uncovered": "#D32F2F",
    "covered": "#2E7D32",
    "lint-error": "#D32F2F",
    "lint-warning": "#EF6C00",
    "lint-info": "#1565C0",
    "added": "#2E7D32",
    "removed": "#C62828",
    "changed": "#EF6C00",
}

@dataclass
class Node:
    """A box of the diagram: a block, the start, an end, a flow or an event."""

    id: str
    kind: str  # block type, or start | end | missing | flow | event
    lines: list[str]  # first line is the title (block id), the rest are details
    note: str | None = None
    classes: set[str] = field(default_factory=set)
    badges: list[str] = field(default_factory=list)  # e.g. lint rule codes
    block_id: str | None = None
    line: int | None = None  # where the block starts in its file (for lint)
    tooltip: str = ""
    mark_note: str = ""  # words after a diff mark, e.g. "renamed from ask_email"

    @property
    def style(self) -> KindStyle:
        return KIND_STYLES.get(self.kind, KIND_STYLES["set"])


@dataclass
class DiagramEdge:
    """An arrow.  ``key`` is the graph's :attr:`Edge.key` (None for project-map edges)."""

    source: str
    target: str
    kind: str
    label: str = ""
    style: str = "solid"  # solid | dashed
    key: str | None = None
    classes: set[str] = field(default_factory=set)
    suffix: str = ""  # added by overlays: counts, traffic
    weight: float | None = None  # relative 0..1, from apply_edge_metrics

    @property
    def full_label(self) -> str:
        return " ".join(part for part in (self.label, self.suffix) if part)


@dataclass
class LegendItem:
    kind: str
    label: str


@dataclass
class Diagram:
    """A whole picture: nodes and edges in a stable order, and the legend."""

    id: str
    title: str
    nodes: list[Node]
    edges: list[DiagramEdge]
    legend: list[LegendItem]
    file: str = ""
    kind: str = "flow"  # flow | project
    dashed_legend: bool = True

    def node(self, node_id: str) -> Node | None:
        for node in self.nodes:
            if node.id == node_id:
                return node
        return None

    def edge(self, key: str) -> DiagramEdge | None:
        for edge in self.edges:
            if edge.key == key:
                return edge
        return None


def legend_for(kinds: Iterable[str]) -> list[LegendItem]:
    """The legend items of the kinds used, in the order of :data:`KIND_STYLES`."""
    used = set(kinds)
    return [LegendItem(kind, style.label) for kind, style in KIND_STYLES.items() if kind in used]
