"""Hostile text in DOT output: quotes, backslashes, markup, entities, line breaks, templates,
and block ids that are DOT keywords. pydot must parse it, Graphviz must accept it, and what
the user wrote must come out as text, never as markup."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from flowctl.render import Diagram, Node, flow_diagram, run_dot, to_dot
from flowctl.render.diagram import legend_for

from .helpers import SVG_NS, dot_edges, dot_nodes, flow, html_text, needs_dot, parse_dot, svg_titles

HOSTILE_IDS = {"node", "graph", "edge", "subgraph", "end"}
ALLOWED_TAGS = {"b", "br", "i", "font", "table", "tr", "td"}  # what flowctl itself writes


@pytest.fixture(scope="module")
def diagram():
    return flow_diagram(flow("hostile"))


@pytest.fixture(scope="module")
def dot_text(diagram) -> str:
    return to_dot(diagram)


@pytest.fixture(scope="module")
def svg(dot_text) -> bytes:
    """``dot -Tsvg`` run directly on the text (not through flowctl): it must exit 0."""
    dot = shutil.which("dot")
    if dot is None:
        pytest.skip("Graphviz `dot` is not on PATH (apt-get install graphviz)")
    done = subprocess.run([dot, "-Tsvg"], input=dot_text.encode("utf-8"), capture_output=True,
                          check=False, timeout=60)
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    return done.stdout


def svg_text(svg: bytes, kind: str, title: str) -> str:
    """All text drawn inside the SVG group of one node or edge, one space between runs."""
    for group in ET.fromstring(svg).iter(f"{SVG_NS}g"):
        if group.get("class") == kind and group.find(f"{SVG_NS}title").text == title:
            return " ".join(t.text or "" for t in group.iter(f"{SVG_NS}text"))
    raise AssertionError(f"no {kind} {title!r} in the SVG")


def test_pydot_parses_hostile_dot(dot_text) -> None:
    nodes = dot_nodes(parse_dot(dot_text))
    assert set(nodes) >= HOSTILE_IDS


def test_graph_name_and_every_id_are_quoted(dot_text) -> None:
    assert dot_text.startswith('digraph "hostile" {\n')
    for line in dot_text.splitlines()[4:-1]:
        assert re.match(r'  "[^"]+"( -> "[^"]+")? \[', line), line


def test_node_text_round_trips(diagram, dot_text) -> None:
    nodes = dot_nodes(parse_dot(dot_text))
    for node in diagram.nodes:
        text = html_text(nodes[node.id]["label"])
        for line in node.lines:
            assert line in text.split("\n"), (node.id, line)


def test_edge_labels_round_trip(diagram, dot_text) -> None:
    drawn = {attrs["tooltip"]: attrs.get("label", "") for _, _, attrs in dot_edges(parse_dot(dot_text))
             if "tooltip" in attrs}
    keys = [edge.key for edge in diagram.edges if edge.key]
    assert set(drawn) == set(keys)  # the tooltips, with quotes and newlines, survive too
    for edge in diagram.edges:
        if edge.key:
            assert " ".join(drawn[edge.key].split()) == " ".join(edge.full_label.split())
    assert 'A "quoted" <b>x</b>' in drawn.values()
    assert "B \\ back & {{ visitor.name }}" in {" ".join(v.split()) for v in drawn.values()}


def test_user_markup_is_entity_escaped(diagram, dot_text) -> None:
    labels = re.findall(r"label=(<.*?>)(?:, \w+=|\];)", dot_text)
    assert len(labels) == len(diagram.nodes) + 1  # every node, and the graph's title and legend
    for label in labels:
        tags = {tag.lower() for tag in re.findall(r"</?\s*([A-Za-z]+)", label[1:-1])}
        assert tags <= ALLOWED_TAGS, tags
    assert "&lt;b&gt;bold&lt;/b&gt;" in dot_text
    assert "&lt;i&gt;markup&lt;/i&gt;" in dot_text
    assert "&amp;amp;" in dot_text  # a literal "&amp;" stays literal
    assert "<b>bold</b>" not in re.sub(r'"(?:[^"\\]|\\.)*"', '""', dot_text)  # outside quoted strings


def test_newlines_in_user_text_do_not_break_lines(dot_text) -> None:
    for line in dot_text.splitlines()[1:-1]:
        assert line.startswith("  "), line  # every statement on its own line, none split


def test_hostile_dot_is_deterministic() -> None:
    assert to_dot(flow_diagram(flow("hostile"))) == to_dot(flow_diagram(flow("hostile")))


@needs_dot
def test_graphviz_accepts_hostile_dot(svg) -> None:
    assert svg_titles(svg) >= HOSTILE_IDS
    assert "hostile" in {t.text for t in ET.fromstring(svg).iter(f"{SVG_NS}title")}


@needs_dot
def test_user_markup_is_drawn_as_text(svg) -> None:
    node_text = svg_text(svg, "node", "node")
    assert "<b>bold</b>" in node_text
    assert "&amp; &" in node_text
    assert "{{ visitor.name }}" in node_text
    assert "<i>markup</i>" in node_text
    assert 'A "quoted" <b>x</b>' in svg_text(svg, "edge", "graph->edge")
    assert "<b>t</b>" in svg_text(svg, "node", "edge")


@needs_dot
def test_backslash_sequences_in_node_text_stay_literal(tmp_path) -> None:
    """Graphviz expands \\N (node name), \\G (graph name) and \\\\ even inside HTML-like labels."""
    (tmp_path / "flowctl.yaml").write_text("project: t\ntimezone: Europe/Berlin\n", encoding="utf-8")
    (tmp_path / "paths.flow.yaml").write_text(
        "flow: paths\nblocks:\n  - id: tell\n    type: message\n"
        "    text: 'Open C:\\Nutzer\\Gerd or \\\\srv\\Ed'\n  - id: done\n    type: end\n",
        encoding="utf-8")
    svg = run_dot(to_dot(flow_diagram(flow("paths", tmp_path))), "svg")
    assert "C:\\Nutzer\\Gerd or \\\\srv\\Ed" in svg_text(svg, "node", "tell")
    assert "\\N {{ visitor.email }}" in svg_text(run_dot(to_dot(flow_diagram(flow("hostile"))), "svg"),
                                             "node", "node")


@needs_dot
def test_control_characters_in_text_do_not_break_graphviz(tmp_path) -> None:
    """HTML-like labels are XML: a raw \\x01 made dot fail with 'not well-formed'."""
    (tmp_path / "flowctl.yaml").write_text("project: t\ntimezone: Europe/Berlin\n", encoding="utf-8")
    (tmp_path / "ctl.flow.yaml").write_text(
        'flow: ctl\nblocks:\n  - id: tell\n    type: message\n    text: "bell \\x01 escape \\x1b end"\n'
        "  - id: done\n    type: end\n", encoding="utf-8")
    diagram = flow_diagram(flow("ctl", tmp_path))
    svg = run_dot(to_dot(diagram), "svg")
    assert "tell" in svg_titles(svg)
    text = svg_text(svg, "node", "tell")
    assert "bell" in text and "end" in text
    assert not any(ord(char) < 32 for char in text)


EMPTY_TAGS = re.compile(r"<(b|i|font)\b[^>]*></\1>")  # Graphviz rejects an empty <b></b>


def _empty_texts() -> Diagram:
    nodes = [Node("blank", "message", ["", "", "  ", "detail"], note=""),
             Node("bare", "set", []), Node("", "end", [""])]
    return Diagram("", "", nodes, [], legend_for(n.kind for n in nodes))


def test_empty_texts_make_no_empty_elements() -> None:
    text = to_dot(_empty_texts())
    assert not EMPTY_TAGS.search(text), text
    labels = {name: html_text(attrs["label"]) for name, attrs in dot_nodes(parse_dot(text)).items()}
    assert labels["blank"] == "blank\ndetail"  # an empty title falls back to the id
    assert labels["bare"] == "bare"
    assert labels[""].strip()  # no id, no text: still something to draw


@needs_dot
@pytest.mark.parametrize("legend", [True, False])
def test_graphviz_accepts_empty_texts(legend: bool) -> None:
    svg = run_dot(to_dot(_empty_texts(), legend=legend), "svg")
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG_NS}svg"
    titles = [group.find(f"{SVG_NS}title").text or "" for group in root.iter(f"{SVG_NS}g")
              if group.get("class") == "node"]
    assert sorted(titles) == ["", "bare", "blank"]


@needs_dot
def test_flow_with_an_empty_title_and_empty_texts(tmp_path) -> None:
    (tmp_path / "flowctl.yaml").write_text("project: t\ntimezone: Europe/Berlin\n", encoding="utf-8")
    (tmp_path / "blank.flow.yaml").write_text(
        'flow: blank\ntitle: ""\nblocks:\n  - id: say\n    type: message\n    text: ""\n'
        '    note: ""\n  - id: keep\n    type: set\n    values: {comment: ""}\n'
        "  - id: done\n    type: end\n", encoding="utf-8")
    diagram = flow_diagram(flow("blank", tmp_path))
    text = to_dot(diagram)
    assert not EMPTY_TAGS.search(text), text
    svg = run_dot(text, "svg")
    assert {"say", "keep", "done"} <= svg_titles(svg)
    assert "blank" in {t.text for t in ET.fromstring(svg).iter(f"{SVG_NS}text")}  # the title
