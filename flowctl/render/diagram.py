"""A format-neutral diagram of a flow (or of a whole project), and the overlays on it.

:func:`flow_diagram` turns a :class:`~flowctl.model.flow.Flow` into a :class:`Diagram`:
one node per block (plus a start node and one end node per implicit outcome), one edge per
edge of :func:`flowctl.model.graph.edges`, each carrying the graph's ``Edge.key`` so that
overlays (coverage, lint, diff, runtime analytics) can address it.  The backends
(:mod:`flowctl.render.dot`, :mod:`flowctl.render.mermaid`) only translate this model.

Overlays mutate the diagram in place:

* :func:`apply_coverage` – edges never taken become ``uncovered`` (red, bold);
* :func:`apply_lint` – blocks with problems are outlined and labelled with the rule codes;
* :func:`apply_edge_metrics` – the hook for the runtime's analytics (traffic and drop-off
  per edge): a label suffix and a pen width scaled by weight;
* :func:`highlight` – ``added`` / ``removed`` / ``changed`` marks, used by ``flowctl diff``.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flowctl.model.blocks import (
    AIBlock,
    ArticlesBlock,
    Block,
    BranchBlock,
    DataBlock,
    DataRequestBlock,
    EndBlock,
    EscalateBlock,
    FormBlock,
    GotoBlock,
    MessageBlock,
    QuestionBlock,
    SetBlock,
    TagBlock,
)
from flowctl.model.flow import Flow, Start
from flowctl.model.graph import Edge, edges
from flowctl.model.problem import Problem, Severity
from flowctl.model.project import Project
from flowctl.model.values import AllOf, Condition, Expr, NotOf

START_ID = "__start__"
LABEL_MAX = 40  # edge labels (choice labels, conditions) are cut to this many characters
START_WIDTH = 46  # the start node's clauses are wrapped at this width
LINE_WIDTH = 30  # node text is wrapped at this width
LONG_EDGE = 10  # an edge spanning more layers than this, into a shared block, gets a connector
DASHED_KINDS = frozenset({"on_invalid", "on_timeout", "on_error", "when_unavailable"})
OVERLAY_CLASSES = frozenset({
    "uncovered", "covered", "lint-error", "lint-warning", "lint-info", "added", "removed",
    "changed", "metric",
})


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
    "end": KindStyle("end", "#ECEFF1", "#37474F", "box", "stadium", "rounded,filled,bold"),
    "set": KindStyle("set variables", "#F5F5F5", "#616161", "box", "rect"),
    "articles": KindStyle("articles", "#EDE7F6", "#4527A0", "note", "lean_left"),
    "goto": KindStyle("go to flow", "#E8EAF6", "#283593", "rarrow", "inv_trapezoid"),
    "missing": KindStyle("missing block", "#FFEBEE", "#C62828", "box", "rect", "dashed,filled"),
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

EXIT_WORDS = {
    "default": "otherwise",
    "on_invalid": "invalid answer",
    "on_timeout": "no reply",
    "on_error": "call failed",
    "when_unavailable": "no agent online",
}

EVENT_WORDS = {
    "page_view": "when a page is viewed",
    "chat_opened": "when a chat is opened",
    "visitor_message": "when the visitor sends a message",
    "visitor_idle": "when the visitor is idle",
    "visitor_identified": "when the visitor is identified",
    "conversation_closed": "when a conversation is closed",
}

ONCE_WORDS = {
    "per_visitor": "once per visitor",
    "per_conversation": "once per conversation",
    "always": "every time",
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


# ---------------------------------------------------------------- text helpers


def shorten(text: str, limit: int = LABEL_MAX) -> str:
    """One line of at most ``limit`` characters, cut at a word with an ellipsis."""
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:-") + "…"


def wrap(text: str, width: int = LINE_WIDTH, max_lines: int = 3) -> list[str]:
    """Wrap ``text`` into at most ``max_lines`` lines; the last one ends in … when cut."""
    text = " ".join(str(text).split())
    if not text:
        return []
    lines = textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False)
    if len(lines) > max_lines:
        rest = " ".join(lines[max_lines - 1 :])
        lines = [*lines[: max_lines - 1], shorten(rest, width)]
    return lines


_STRING = r"'[^']*'|\"[^\"]*\""
_CALLS = [
    (re.compile(rf"([\w.]+)\.startswith\(\s*({_STRING})\s*\)"), r"\1 starts with \2"),
    (re.compile(rf"([\w.]+)\.endswith\(\s*({_STRING})\s*\)"), r"\1 ends with \2"),
    (re.compile(rf"within\(\s*({_STRING})\s*\)"), r"within \1"),
    (re.compile(rf"matches\(\s*([\w.]+)\s*,\s*({_STRING})\s*\)"), r"\1 matches \2"),
    (re.compile(r"contains_any\(\s*([\w.]+)\s*,\s*\[([^\]]*)\]\s*\)"), r"\1 mentions \2"),
    (re.compile(r"days_since\(\s*([\w.]+)\s*\)"), r"days since \1"),
    (re.compile(r"\bagents\.departments\.(\w+)"), r"agents online in \1"),
    (re.compile(r"\bagents\.online\b"), "agents online"),
]
_OPERATORS = [
    (re.compile(r"\s*>=\s*"), " ≥ "),
    (re.compile(r"\s*<=\s*"), " ≤ "),
    (re.compile(r"\s*!=\s*"), " is not "),
    (re.compile(r"\s*==\s*"), " is "),
    (re.compile(r"\bnot in\b"), "not one of"),
    (re.compile(r"(?<![\w'])in\s*\["), "one of ["),
]


def _outside_strings(text: str, func: Any) -> str:
    """Apply ``func`` to the parts of ``text`` that are not quoted strings."""
    parts = re.split(f"({_STRING})", text)
    return "".join(part if i % 2 else func(part) for i, part in enumerate(parts))


def humanize_expr(source: str) -> str:
    """A condition in plain words: ``page.path.startswith('/pricing')`` → ``page path starts
    with /pricing``.  Falls back to the expression itself for what it does not know."""
    text = " ".join(source.split())
    for pattern, repl in _CALLS:
        text = pattern.sub(repl, text)

    def words(part: str) -> str:
        for pattern, repl in _OPERATORS:
            part = pattern.sub(repl, part)
        part = re.sub(r"(?<=[a-z0-9])[._](?=[a-z])", " ", part)
        return part

    text = _outside_strings(text, words)
    text = re.sub(r"\[((?:\s*(?:" + _STRING + r")\s*,?)+)\]",
                  lambda m: ", ".join(s[1:-1] for s in re.findall(_STRING, m.group(1))), text)
    text = re.sub(_STRING, lambda m: m.group(0)[1:-1], text)
    return " ".join(text.split())


def condition_text(condition: Condition, *, nested: bool = False) -> str:
    """A condition tree as one readable line (``and`` / ``or`` / ``not``)."""
    if isinstance(condition, Expr):
        text = humanize_expr(condition.source)
        return f"({text})" if nested and re.search(r"\b(and|or)\b", text) else text
    if isinstance(condition, NotOf):
        return f"not ({condition_text(condition.item)})"
    joiner = " and " if isinstance(condition, AllOf) else " or "
    text = joiner.join(condition_text(item, nested=True) for item in condition.items)
    return f"({text})" if nested and len(condition.items) > 1 else text


def condition_lines(condition: Condition) -> list[str]:
    """A top-level ``all:`` as one line per item, anything else as one line."""
    if isinstance(condition, AllOf):
        return [condition_text(item) for item in condition.items]
    return [condition_text(condition)]


def start_lines(start: Start | None) -> list[str]:
    """The start condition in plain words, one clause a line."""
    if start is None:
        return ["only when another flow goes to it"]
    out: list[str] = []
    events = []
    for event in start.on:
        if event.type == "custom":
            events.append(f"on custom event {event.name}")
        else:
            events.append(EVENT_WORDS.get(event.type, f"on {event.type}"))
    if events:
        out.append(" or ".join(events))
    if start.when is not None:
        for i, clause in enumerate(condition_lines(start.when)):
            out.append(("if " if i == 0 else "and ") + clause)
    if start.schedule is not None:
        out.append(f"during {start.schedule.name}")
    if start.active is not None:
        window = start.active
        if window.start and window.end:
            out.append(f"from {window.start} until {window.end}")
        elif window.start:
            out.append(f"from {window.start}")
        elif window.end:
            out.append(f"until {window.end}")
    extra = [ONCE_WORDS.get(start.once, start.once)]
    if start.priority:
        extra.append(f"priority {start.priority}")
    out.append(", ".join(extra))
    wrapped: list[str] = []
    for line in out:
        wrapped.extend(wrap(line, START_WIDTH, max_lines=4))
    return wrapped


def _tmpl(value: Any) -> str:
    return "" if value is None else str(getattr(value, "source", value))


def block_lines(block: Block) -> list[str]:
    """The details under a block's id: what it says or does, shortly."""
    if isinstance(block, MessageBlock):
        text = _tmpl(block.text)
        lines = wrap(f"“{text}”") if text else []
        if block.buttons:
            lines.append(shorten("buttons: " + ", ".join(_tmpl(b.label) for b in block.buttons),
                                 LINE_WIDTH + 6))
        if block.image is not None and not text:
            lines.append("image")
        return lines
    if isinstance(block, QuestionBlock):
        lines = wrap(f"“{_tmpl(block.text)}”") if block.text else []
        detail = [] if block.expect in ("choice", "text") or block.choices else [block.expect]
        if block.choices and not any(c.next for c in block.choices):
            detail.append(shorten(" | ".join(c.label for c in block.choices), LINE_WIDTH))
        if detail:
            lines.append(" ".join(detail))
        if block.save is not None:
            lines.append(f"→ {block.save.name}")
        return lines
    if isinstance(block, FormBlock):
        lines = wrap(_tmpl(block.title), max_lines=2) if block.title else []
        names = ", ".join(f.name for f in block.form_fields)
        if names:
            lines.append(shorten(f"fields: {names}", LINE_WIDTH + 6))
        return lines
    if isinstance(block, AIBlock):
        return [f"assistant {block.assistant.name}, ≤ {block.max_turns} turns"]
    if isinstance(block, DataBlock):
        method = block.method or ("GET" if isinstance(block, DataRequestBlock) else "")
        call = f"{method} {block.endpoint.name}".strip()
        if block.save is not None:
            call += f" → {block.save.name}"
        return [call]
    if isinstance(block, TagBlock):
        tags = [f"+{_tmpl(t)}" for t in block.add] + [f"−{_tmpl(t)}" for t in block.remove]
        return wrap(" ".join(tags), max_lines=2)
    if isinstance(block, EscalateBlock):
        who = block.department.name if block.department else "any department"
        return [f"to {who} ({block.priority})"]
    if isinstance(block, EndBlock):
        return [f"outcome: {block.outcome}"]
    if isinstance(block, SetBlock):
        return wrap(", ".join(name.name for name, _ in block.values), max_lines=2)
    if isinstance(block, ArticlesBlock):
        lines = wrap(f"search “{_tmpl(block.query)}”", max_lines=2) if block.query else []
        if block.collection is not None:
            lines.append(f"in {block.collection.name}")
        return lines
    if isinstance(block, GotoBlock):
        return [f"go to flow {block.flow.name}"]
    return []


def edge_label(edge: Edge, block: Block | None) -> str:
    """Choice label, shortened branch condition, or the plain words for an error exit."""
    if edge.kind == "choice":
        return shorten(edge.label)
    if edge.kind == "case" and isinstance(block, BranchBlock):
        number = int(edge.label.split()[-1]) if edge.label.split()[-1].isdigit() else 0
        if 0 < number <= len(block.cases):
            return shorten(condition_text(block.cases[number - 1].when))
        return shorten(edge.label)
    if edge.kind == "on_timeout" and isinstance(block, QuestionBlock | FormBlock) and block.timeout:
        return f"no reply in {block.timeout:g}s"
    if edge.kind == "next" and isinstance(block, QuestionBlock) and block.choices:
        return "other answer" if block.allow_other else "other choices"
    return EXIT_WORDS.get(edge.kind, "")


# ---------------------------------------------------------------- building


def _legend(kinds: Iterable[str]) -> list[LegendItem]:
    used = set(kinds)
    return [LegendItem(kind, style.label) for kind, style in KIND_STYLES.items() if kind in used]


def flow_diagram(flow: Flow) -> Diagram:
    """The diagram of one flow: start node, a node per block, end nodes, every edge."""
    nodes: list[Node] = [Node(START_ID, "start", ["Start", *start_lines(flow.start)],
                              tooltip=flow.title or flow.id,
                              line=flow.start.span.line if flow.start else None)]
    for block in flow.blocks:
        nodes.append(Node(block.id, block.type, [block.id, *block_lines(block)],
                          note=_tmpl(block.note) or None, block_id=block.id,
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
    diagram = Diagram(flow.id, title, nodes, out, _legend(n.kind for n in nodes), file=flow.file)
    add_connectors(diagram)
    return diagram


def project_diagram(project: Project) -> Diagram:
    """The project map: a node per flow, its start events, ``goto`` edges between flows."""
    nodes: list[Node] = []
    out: list[DiagramEdge] = []
    events: dict[str, Node] = {}
    flow_ids = {flow.id for flow in project.flows}
    missing: dict[str, Node] = {}
    for flow in sorted(project.flows, key=lambda f: f.id):
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
                    missing[target] = Node(target, "missing", [f"? {block.flow.name}", "no such flow"])
                out.append(DiagramEdge(f"flow:{flow.id}", target, "goto", f"goto ({block.id})"))
    all_nodes = [*sorted(events.values(), key=lambda n: n.id), *nodes, *missing.values()]
    return Diagram("project", "flow map", all_nodes, out,
                   _legend(n.kind for n in all_nodes), kind="project", dashed_legend=False)


def layers(diagram: Diagram) -> dict[str, int]:
    """A longest-path layering of the diagram (back edges of loops ignored): roughly the rank
    Graphviz gives each node, known before any layout runs."""
    succ: dict[str, list[str]] = {node.id: [] for node in diagram.nodes}
    for edge in diagram.edges:
        if edge.source in succ and edge.target in succ:
            succ[edge.source].append(edge.target)
    order: list[str] = []  # reverse post-order of an iterative DFS = a topological order
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    back: set[tuple[str, str]] = set()
    for root in succ:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(succ[root]))]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                state[node] = 2
                order.append(node)
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(succ[child])))
            elif state[child] == 1:
                back.add((node, child))
    layer = dict.fromkeys(succ, 0)
    for node in reversed(order):
        for child in succ[node]:
            if (node, child) not in back:
                layer[child] = max(layer[child], layer[node] + 1)
    return layer


def add_connectors(diagram: Diagram, max_span: int = LONG_EDGE) -> int:
    """Replace each edge that would run across more than ``max_span`` layers into a block
    that other edges also enter with a short edge to a connector ("→ block"), as paper
    flowcharts do.  Keeps big diagrams readable and Graphviz fast: routing long edges is what
    makes ``dot`` slow (quadratic in the length).  The edge keeps its key and classes, so the
    overlays still find it.  Returns how many connectors were added."""
    layer = layers(diagram)
    incoming: dict[str, int] = {}
    for edge in diagram.edges:
        incoming[edge.target] = incoming.get(edge.target, 0) + 1
    added = 0
    for edge in diagram.edges:
        if edge.source not in layer or edge.target not in layer or incoming[edge.target] < 2:
            continue
        if abs(layer[edge.target] - layer[edge.source]) <= max_span:
            continue
        target = diagram.node(edge.target)
        assert target is not None
        added += 1
        connector = Node(f"__to__{added}__{edge.target}", "connector", [f"→ {edge.target}"],
                         tooltip=f"continues at {edge.target}")
        diagram.nodes.append(connector)
        edge.target = connector.id
    if added:
        diagram.legend = _legend(n.kind for n in diagram.nodes)
    return added


# ---------------------------------------------------------------- overlays


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
