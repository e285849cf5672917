"""Mermaid ``flowchart TD`` text: shapes per kind, arrows, classDefs, safe ids, escaped labels.

mermaid-cli is not installed here, so these are structural checks of the text against the
flowchart grammar (mermaid's flow.jison): quoted labels end at the first ``"``, and ``end`` is
a keyword wherever an id or class name is expected.
"""

from __future__ import annotations

import re

import pytest
import yaml

from flowctl.model.graph import edges as graph_edges
from flowctl.render import (
    START_ID,
    Diagram,
    EdgeMetric,
    FlowCounts,
    Node,
    apply_coverage,
    apply_edge_metrics,
    flow_diagram,
    render,
    to_mermaid,
)
from flowctl.render.diagram import KIND_STYLES
from flowctl.render.mermaid import SHAPES

from .helpers import flow

# kind -> (opening, closing) in Mermaid's flowchart syntax, written out independently of the code
BRACKETS = {
    "start": ("([", "])"), "end": ("([", "])"), "event": ("([", "])"),
    "message": ("(", ")"), "flow": ("(", ")"),
    "question": ("[[", "]]"), "form": ("[/", "/]"), "articles": ("[\\", "\\]"),
    "ai": ("{{", "}}"), "data_update": ("[(", ")]"), "data_request": ("[(", ")]"),
    "branch": ("{", "}"), "tag": (">", "]"), "escalate": ("[/", "\\]"), "goto": ("[\\", "/]"),
    "set": ("[", "]"), "missing": ("[", "]"), "missing-flow": ("[", "]"), "connector": (">", "]"),
}
ID = r"n_[A-Za-z0-9_]+"
NODE_LINE = re.compile(rf'    ({ID})(\(\[|\[\[|\[\(|\[/|\[\\|\{{\{{|\(|\{{|>|\[)"([^"]*)"(\S+)')
LINK_LINE = re.compile(rf'    ({ID}) (-->|-\.->|-- "([^"]*)" -->|-\. "([^"]*)" \.->) ({ID})')


def body(text: str) -> list[str]:
    """The lines after ``flowchart TD`` (and the title front matter before it)."""
    lines = text.splitlines()
    return lines[lines.index("flowchart TD") + 1:]


def node_lines(text: str) -> dict[str, tuple[str, str, str]]:
    out = {}
    for line in body(text):
        match = NODE_LINE.fullmatch(line)
        if match:
            out[match.group(1)] = (match.group(2), match.group(3), match.group(4))
    return out


def link_lines(text: str) -> list[re.Match]:
    return [m for m in map(LINK_LINE.fullmatch, body(text)) if m]


@pytest.fixture(scope="module")
def structure():
    return flow_diagram(flow("structure"))


@pytest.fixture(scope="module")
def text(structure) -> str:
    return to_mermaid(structure)


def test_starts_with_flowchart_after_title_front_matter(text) -> None:
    lines = text.splitlines()
    assert lines[0] == "---" and lines[1].startswith("title: ") and lines[2] == "---"
    assert lines[3] == "flowchart TD"
    assert "structure" in lines[1] and "Every kind of edge" in lines[1]


def test_without_title_the_first_line_is_flowchart(structure) -> None:
    untitled = Diagram("x", "", structure.nodes, structure.edges, structure.legend)
    assert to_mermaid(untitled).splitlines()[0] == "flowchart TD"


LEGEND_LINE = re.compile(r"        legend_k_\w+(?:" + "|".join(
    re.escape(opening) + '"[^"]*"' + re.escape(closing) for opening, closing in SHAPES.values())
    + r"):::k_\w+")


def test_every_line_is_understood(text) -> None:
    lines = body(text)
    start = lines.index('    subgraph legend ["Legend"]')
    assert lines[start + 1] == "        direction LR"
    stop = lines.index("    end", start)
    for line in lines[:start] + lines[stop + 1:]:
        assert (NODE_LINE.fullmatch(line) or LINK_LINE.fullmatch(line)
                or re.fullmatch(r"    (classDef|class|linkStyle) \S+ \S+", line)), line
    for line in lines[start + 2:stop]:
        assert LEGEND_LINE.fullmatch(line), line


def test_legend_has_one_node_per_kind_drawn(structure, text) -> None:
    legend = [line.split(":::")[1] for line in body(text) if line.startswith("        legend_")]
    assert legend == ["k_" + item.kind.replace("-", "_") for item in structure.legend]
    assert "subgraph" not in to_mermaid(structure, legend=False)


def test_one_node_line_per_node(structure, text) -> None:
    nodes = node_lines(text)
    assert len(nodes) == len(structure.nodes)
    expected = {"n_" + n.id for n in structure.nodes}
    assert set(nodes) == expected


@pytest.mark.parametrize("block_id", ["greet", "ask_topic", "ask_email", "lookup_account", "route",
                                      "to_sales", "sorry", "bye", START_ID, "__end__escalated"])
def test_node_shape_follows_kind(structure, text, block_id: str) -> None:
    kind = structure.node(block_id).kind
    opening, label, closing = node_lines(text)["n_" + block_id]
    assert (opening, closing) == BRACKETS[kind]
    title = structure.node(block_id).lines[0]
    assert label.startswith(f"<b>{title}</b>")


@pytest.mark.parametrize("kind", sorted(KIND_STYLES))
def test_every_kind_has_its_shape(kind: str) -> None:
    diagram = Diagram("k", "", [Node("x", kind, ["x", "detail"])], [], [])
    opening, label, closing = node_lines(to_mermaid(diagram))["n_x"]
    assert (opening, closing) == BRACKETS[kind]
    assert label == "<b>x</b><br/>detail"


def test_links(structure, text) -> None:
    links = link_lines(text)
    assert len(links) == len(structure.edges)
    for edge, match in zip(structure.edges, links, strict=True):
        assert (match.group(1), match.group(5)) == ("n_" + edge.source, "n_" + edge.target)
        label = " ".join(edge.full_label.split())
        if edge.style == "dashed":
            assert match.group(2) == f'-. "{label}" .->', edge.key
        elif label:
            assert match.group(2) == f'-- "{label}" -->', edge.key
        else:
            assert match.group(2) == "-->", edge.key


def test_dashed_links_are_the_error_exits(text) -> None:
    dashed = sorted(m.group(4) for m in link_lines(text) if m.group(4) is not None)
    assert dashed == ["call failed", "invalid answer", "invalid answer", "no agent online",
                      "no reply in 120s"]
    assert '    n_route -- "otherwise" --> n_bye' in text.splitlines()
    assert '    n_ask_topic -- "Billing question" --> n_ask_email' in text.splitlines()


def test_class_defs_per_kind(structure, text) -> None:
    lines = body(text)
    for kind in {n.kind for n in structure.nodes}:
        style = KIND_STYLES[kind]
        name = "k_" + re.sub(r"\W", "_", kind)  # never the keyword `end`
        assert f"    classDef {name} fill:{style.fill},stroke:{style.border},color:#212121" in lines
        members = sorted("n_" + n.id for n in structure.nodes if n.kind == kind)
        found = [line for line in lines if line.startswith("    class ") and line.endswith(f" {name}")]
        assert len(found) == 1
        assert sorted(found[0].split()[1].split(",")) == members


def test_hostile_ids_are_sanitised() -> None:
    text = to_mermaid(flow_diagram(flow("hostile")), legend=False)  # the legend ends with `end`
    nodes = node_lines(text)
    assert {"n_node", "n_graph", "n_edge", "n_subgraph", "n_end"} <= set(nodes)
    for match in link_lines(text):
        assert "end" not in (match.group(1), match.group(5))
    for line in body(text):
        assert not re.match(r"\s*end\b", line)
        assert not re.search(r"(-->|\.->) end$", line)


def test_hostile_labels_are_escaped() -> None:
    diagram = flow_diagram(flow("hostile"))
    text = to_mermaid(diagram)
    nodes = node_lines(text)
    assert len(nodes) == len(diagram.nodes)  # a raw " would have broken a node line
    assert len(link_lines(text)) == len(diagram.edges)
    assert nodes["n_node"][1].count("<b>") == 1  # only the title is bold
    assert "#lt;b#gt;bold#lt;/b#gt;" in nodes["n_node"][1]
    assert "#quot;friend#quot;" in nodes["n_node"][1]
    assert "#amp;amp; #amp;" in nodes["n_node"][1]
    assert "{{ visitor.name }}" in nodes["n_node"][1]
    assert '-- "A #quot;quoted#quot; #lt;b#gt;x#lt;/b#gt;" -->' in text
    assert "\r" not in text
    assert all("\n" not in label for _, label, _ in nodes.values())


def test_coverage_overlay_in_mermaid() -> None:
    structure = flow("structure")
    diagram = flow_diagram(structure)
    counts = {e.key: (0 if e.kind in ("on_error", "on_timeout") else 4) for e in graph_edges(structure)}
    apply_coverage(diagram, FlowCounts(counts, {"sorry": 0}))
    lines = body(to_mermaid(diagram))
    red = [i for i, e in enumerate(diagram.edges) if "uncovered" in e.classes]
    assert len(red) == 2
    for index in red:
        assert f"    linkStyle {index} stroke:#D32F2F,stroke-width:3px" in lines
    assert "    classDef k_uncovered stroke:#D32F2F,stroke-width:3px,stroke-dasharray:5 3" in lines
    assert "    class n_sorry k_uncovered" in lines
    assert '    n_greet -- "×4" --> n_ask_topic' in lines


def test_edge_metrics_in_mermaid() -> None:
    diagram = flow_diagram(flow("structure"))
    apply_edge_metrics(diagram, {"greet -fallthrough-> ask_topic": EdgeMetric("12% drop", 3)})
    index = next(i for i, e in enumerate(diagram.edges) if e.key == "greet -fallthrough-> ask_topic")
    lines = body(to_mermaid(diagram))
    assert f"    linkStyle {index} stroke-width:6.0px" in lines
    assert '    n_greet -- "12% drop" --> n_ask_topic' in lines


def test_mermaid_is_deterministic(text) -> None:
    assert to_mermaid(flow_diagram(flow("structure"))) == text
    assert render(flow_diagram(flow("structure")), "mermaid") == text.encode("utf-8")


def test_class_names_avoid_the_end_keyword(text) -> None:
    """`classDef end ...` / `class ... end` hit the keyword `end` of Mermaid's grammar."""
    for line in body(text):
        words = line.split()
        if words[0] == "classDef":
            assert words[1] != "end", line
        if words[0] == "class":
            assert words[2] != "end", line


@pytest.mark.parametrize("flow_id", ["structure", "hostile"])
def test_title_front_matter_is_valid_yaml(flow_id: str) -> None:
    """An unquoted 'title: structure: Every kind of edge' is not YAML (a second ': ')."""
    diagram = flow_diagram(flow(flow_id))
    lines = to_mermaid(diagram).splitlines()
    assert lines[0] == "---"
    front = "\n".join(lines[1:lines.index("---", 1)])
    assert yaml.safe_load(front) == {"title": diagram.title}
    assert lines[lines.index("---", 1) + 1] == "flowchart TD"


def test_text_that_looks_like_an_entity_stays_literal() -> None:
    from flowctl.render.mermaid import escape

    assert escape("#amp; & #35;") == "#35;amp; #amp; #35;35;"
