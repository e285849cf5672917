"""Overlays on a diagram: coverage, lint problems, edge metrics and diff highlights, as DOT."""

from __future__ import annotations

import dataclasses

import pytest

from flowctl.errors import ConfigError
from flowctl.lint.runner import lint_project
from flowctl.model.graph import edges as graph_edges
from flowctl.render import (
    START_ID,
    EdgeMetric,
    FlowCounts,
    apply_coverage,
    apply_edge_metrics,
    apply_lint,
    flow_diagram,
    highlight,
    read_coverage,
    to_dot,
)
from flowctl.render.diagram import KIND_STYLES, OVERLAY_COLOURS

from .helpers import PROJECT, dot_edges, dot_nodes, flow, html_text, load, parse_dot

RED = "#D32F2F"


def drawn(diagram):
    """(nodes by id, edge attributes by edge key) of the diagram's DOT text."""
    graph = parse_dot(to_dot(diagram))
    edges = {attrs["tooltip"]: attrs for _, _, attrs in dot_edges(graph) if "tooltip" in attrs}
    return dot_nodes(graph), edges


def coverage_for(flow_id: str, counts: dict[str, int], blocks: dict[str, int]) -> dict:
    """The JSON of ``flowctl simulate --coverage-file`` for one flow."""
    return {"version": 1, "flows": {flow_id: {"edges": counts, "blocks": blocks}}}


@pytest.fixture
def structure():
    return flow("structure")


@pytest.fixture
def half_covered(structure):
    """Every other edge of the structure flow taken (1, 2, ... times), the rest never."""
    keys = [edge.key for edge in graph_edges(structure)]
    counts = {key: (i // 2 + 1 if i % 2 == 0 else 0) for i, key in enumerate(keys)}
    blocks = {block.id: 1 for block in structure.blocks} | {"lookup_account": 0, "route": 0}
    return coverage_for("structure", counts, blocks)


@pytest.fixture
def half_counts(half_covered) -> FlowCounts:
    return read_coverage(half_covered, "c.json")["structure"]


def test_read_coverage_gives_counts_per_flow(half_covered) -> None:
    data = {"version": 1, "flows": {**half_covered["flows"],
                                    "other": {"edges": {}, "blocks": {"x": 0},
                                              "covered_edges": 0, "total_edges": 0}}}
    counts = read_coverage(data, "c.json")
    assert set(counts) == {"structure", "other"}
    assert counts["structure"] == FlowCounts(half_covered["flows"]["structure"]["edges"],
                                             half_covered["flows"]["structure"]["blocks"])
    assert counts["other"] == FlowCounts({}, {"x": 0})  # the summary numbers are not counts


def test_read_coverage_without_edges_or_blocks() -> None:
    assert read_coverage({"flows": {"f": {}}}, "c.json") == {"f": FlowCounts({}, {})}
    assert read_coverage({"flows": {}}, "c.json") == {}


@pytest.mark.parametrize("data", [[1, 2], {"version": 1}, {"flows": []}, {"flows": 3}, 42, None],
                         ids=["list", "no-flows", "flows-list", "flows-number", "number", "null"])
def test_read_coverage_refuses_what_is_not_coverage(data) -> None:
    with pytest.raises(ConfigError) as caught:
        read_coverage(data, "c.json")
    assert caught.value.message == "c.json is not a flowctl coverage file (no 'flows' mapping)"


@pytest.mark.parametrize(("entry", "where"), [
    ({"edges": {"a -next-> b": "3"}}, "flows.booking.edges.a -next-> b is not a count"),
    ({"edges": {"a -next-> b": -1}}, "flows.booking.edges.a -next-> b is not a count"),
    ({"edges": {"a -next-> b": True}}, "flows.booking.edges.a -next-> b is not a count"),
    ({"edges": {"a -next-> b": 1.5}}, "flows.booking.edges.a -next-> b is not a count"),
    ({"edges": {"a -next-> b": None}}, "flows.booking.edges.a -next-> b is not a count"),
    ({"edges": {"ok": 1}, "blocks": {"greet": "x"}}, "flows.booking.blocks.greet is not a count"),
    ({"edges": ["a -next-> b"]}, "flows.booking.edges "),
    ({"blocks": "greet"}, "flows.booking.blocks "),
], ids=["string", "negative", "bool", "float", "null", "block", "edges-list", "blocks-string"])
def test_read_coverage_names_the_bad_path(entry: dict, where: str) -> None:
    with pytest.raises(ConfigError) as caught:
        read_coverage({"version": 1, "flows": {"booking": entry}}, "c.json")
    assert caught.value.message.startswith(f"c.json: {where}")
    assert caught.value.hint == "edges and blocks map names to whole numbers ≥ 0"


@pytest.mark.parametrize("entry", [[], "booking", 3, None])
def test_read_coverage_refuses_a_flow_entry_that_is_not_a_mapping(entry) -> None:
    with pytest.raises(ConfigError) as caught:
        read_coverage({"flows": {"booking": entry}}, "c.json")
    assert caught.value.message == "c.json: flows.booking is not a mapping"


def test_coverage_marks_uncovered_edges_red_and_bold(structure, half_covered, half_counts) -> None:
    diagram = flow_diagram(structure)
    assert apply_coverage(diagram, half_counts) is None
    _, edges = drawn(diagram)
    counts = half_covered["flows"]["structure"]["edges"]
    checked = 0
    for key, count in counts.items():
        if key not in edges:  # the end block's own exit is not drawn
            assert key == "bye -end-> (end)"
            continue
        attrs = edges[key]
        if count == 0:
            assert "uncovered" in attrs["class"].split(), key
            assert attrs["color"] == RED
            assert float(attrs["penwidth"]) >= 2.5
            assert "×" not in attrs.get("label", "")
        else:
            assert attrs["class"].split() == ["covered"]
            assert attrs["color"] == OVERLAY_COLOURS["covered"]
            assert " ".join(attrs["label"].split()).endswith(f"×{count}"), key
        checked += 1
    assert checked == len(counts) - 1


def test_coverage_keeps_error_exits_dashed(structure, half_counts) -> None:
    diagram = flow_diagram(structure)
    apply_coverage(diagram, half_counts)
    _, edges = drawn(diagram)
    for key in ("ask_email -on_invalid-> sorry", "ask_email -on_timeout-> sorry",
                "to_sales -when_unavailable-> sorry"):
        assert edges[key]["style"] == "dashed"


def test_coverage_marks_blocks_never_entered(structure, half_counts) -> None:
    diagram = flow_diagram(structure)
    apply_coverage(diagram, half_counts)
    nodes, _ = drawn(diagram)
    for block_id in ("lookup_account", "route"):
        assert nodes[block_id]["class"] == "uncovered"
        assert nodes[block_id]["color"] == RED
        assert "dashed" in nodes[block_id]["style"].split(",")
    assert "class" not in nodes["greet"]
    assert nodes["greet"]["color"] == KIND_STYLES["message"].border


def test_coverage_adds_a_legend_entry(structure, half_counts) -> None:
    diagram = flow_diagram(structure)
    assert "never taken" not in to_dot(diagram)
    apply_coverage(diagram, half_counts)
    assert "never taken (coverage)" in to_dot(diagram)


def test_empty_counts_change_nothing(structure) -> None:
    diagram = flow_diagram(structure)
    before = to_dot(diagram)
    apply_coverage(diagram, FlowCounts({}, {}))
    assert to_dot(diagram) == before


def test_edges_and_blocks_not_in_the_counts_stay_unmarked(structure) -> None:
    diagram = flow_diagram(structure)
    apply_coverage(diagram, FlowCounts({"greet -fallthrough-> ask_topic": 0,
                                        "no such -edge-> here": 0}, {"sorry": 0, "nowhere": 0}))
    assert diagram.edge("greet -fallthrough-> ask_topic").classes == {"uncovered"}
    marked = [edge.key for edge in diagram.edges if edge.classes]
    assert marked == ["greet -fallthrough-> ask_topic"]
    assert [node.id for node in diagram.nodes if node.classes] == ["sorry"]


def test_coverage_under_another_flow_id(structure, half_covered) -> None:
    """The counts are picked by flow id before they are applied: any flow's counts can be drawn
    on a diagram whose edges have the same keys."""
    counts = read_coverage({"flows": {"renamed": half_covered["flows"]["structure"]}}, "c.json")
    assert "structure" not in counts
    diagram = flow_diagram(structure)
    apply_coverage(diagram, counts["renamed"])
    assert any("uncovered" in edge.classes for edge in diagram.edges)


@pytest.fixture(scope="module")
def linted():
    project = load(PROJECT)
    defects = project.flow("defects")
    problems = lint_project(project, [defects.file]).problems
    return defects, problems


def test_lint_finds_the_known_defects(linted) -> None:
    _, problems = linted
    assert sorted(p.code for p in problems) == ["V001", "X003", "X004"]


def test_lint_outlines_blocks_and_names_rules(linted) -> None:
    defects, problems = linted
    diagram = flow_diagram(defects)
    assert apply_lint(diagram, problems) == 3
    nodes, _ = drawn(diagram)
    route, support = nodes["route"], nodes["to_support"]
    assert route["class"] == "lint-error"  # an error outranks the warning on the same block
    assert route["color"] == OVERLAY_COLOURS["lint-error"] and route["penwidth"] == "3"
    assert html_text(route["label"]).split("\n")[-1] == "V001 X004"
    assert support["class"] == "lint-warning"
    assert support["color"] == OVERLAY_COLOURS["lint-warning"]
    assert html_text(support["label"]).split("\n")[-1] == "X003"
    for clean in ("ask", "to_sales", "bye", START_ID):
        assert "class" not in nodes[clean], clean
    text = to_dot(diagram)
    assert "lint error" in text and "lint warning" in text  # legend


def test_lint_ignores_problems_of_other_files(linted) -> None:
    defects, problems = linted
    project = load(PROJECT)
    other = lint_project(project, [project.flow("structure").file]).problems
    assert other
    diagram = flow_diagram(defects)
    assert apply_lint(diagram, [*other, *problems]) == len(problems)


def test_lint_problem_above_the_first_block_goes_to_the_start(linted) -> None:
    defects, problems = linted
    error = next(p for p in problems if p.code == "V001")
    top = dataclasses.replace(error, span=error.span.at(1, 1))
    diagram = flow_diagram(defects)
    assert apply_lint(diagram, [top]) == 1
    start = diagram.node(START_ID)
    assert start.badges == [top.code] and start.classes == {"lint-error"}


def test_info_badge_has_the_info_colour() -> None:
    """The rule codes of a block with only info problems are blue like its outline."""
    project = load(PROJECT)
    structure = project.flow("structure")
    diagram = flow_diagram(structure)
    apply_lint(diagram, lint_project(project, [structure.file]).problems)
    node = diagram.node("ask_email")
    assert node.classes == {"lint-info"} and node.badges == ["V003"]
    label = dot_nodes(parse_dot(to_dot(diagram)))["ask_email"]["label"]
    assert f'<font color="{OVERLAY_COLOURS["lint-info"]}"><b>V003</b></font>' in label


def test_edge_metrics_scale_pen_width_and_add_labels(structure) -> None:
    diagram = flow_diagram(structure)
    metrics = {
        "greet -fallthrough-> ask_topic": EdgeMetric("1 204 · 12% drop", 100),
        "ask_topic -choice[Talk to sales]-> route": EdgeMetric("301", 50),
        "route -default-> bye": EdgeMetric(weight=0),
        "no such -edge-> here": EdgeMetric("ignored", 1000),
    }
    apply_edge_metrics(diagram, metrics)
    _, edges = drawn(diagram)
    # the largest weight (1000, on an edge not drawn) sets the scale
    top = edges["greet -fallthrough-> ask_topic"]
    assert float(top["penwidth"]) == pytest.approx(1.5)
    assert " ".join(top["label"].split()) == "1 204 · 12% drop"
    assert top["class"] == "metric"
    half = edges["ask_topic -choice[Talk to sales]-> route"]
    assert " ".join(half["label"].split()) == "Talk to sales 301"
    assert float(half["penwidth"]) == pytest.approx(1.25)
    assert float(edges["route -default-> bye"]["penwidth"]) == pytest.approx(1.0)
    assert "class" not in edges["sorry -fallthrough-> bye"]


def test_edge_metrics_relative_to_the_heaviest_edge(structure) -> None:
    diagram = flow_diagram(structure)
    apply_edge_metrics(diagram, {"greet -fallthrough-> ask_topic": EdgeMetric(weight=8),
                                 "sorry -fallthrough-> bye": EdgeMetric(weight=2)})
    _, edges = drawn(diagram)
    assert float(edges["greet -fallthrough-> ask_topic"]["penwidth"]) == pytest.approx(6.0)
    assert float(edges["sorry -fallthrough-> bye"]["penwidth"]) == pytest.approx(2.25)


def test_metrics_after_coverage_keep_both_suffixes(structure, half_counts) -> None:
    diagram = flow_diagram(structure)
    apply_coverage(diagram, half_counts)
    apply_edge_metrics(diagram, {"greet -fallthrough-> ask_topic": EdgeMetric("90%", 1)})
    assert diagram.edge("greet -fallthrough-> ask_topic").full_label == "×1 90%"


@pytest.mark.parametrize(("mark", "colour", "words"), [
    ("added", "#2E7D32", "+ added"), ("removed", "#C62828", "− removed"),
    ("changed", "#EF6C00", "~ changed")])
def test_highlight_marks_nodes_and_edges(structure, mark: str, colour: str, words: str) -> None:
    diagram = flow_diagram(structure)
    key = "ask_topic -choice[Talk to sales]-> route"
    highlight(diagram, nodes={"greet": mark, "no_such_block": mark}, edges={key: mark, "x -y-> z": mark})
    nodes, edges = drawn(diagram)
    assert nodes["greet"]["class"] == mark
    assert nodes["greet"]["color"] == colour and nodes["greet"]["penwidth"] == "3"
    assert html_text(nodes["greet"]["label"]).split("\n")[-1] == words  # not by colour alone
    assert edges[key]["class"] == mark and edges[key]["color"] == colour
    assert float(edges[key]["penwidth"]) >= 2.5
    assert mark in html_text(parse_dot(to_dot(diagram)).get_graph_defaults()[0]["label"])
    if mark == "removed":
        assert nodes["greet"]["fontcolor"] == "#9E9E9E"
        assert "dashed" in nodes["greet"]["style"].split(",")
        assert edges[key]["style"] == "dotted"
    else:
        assert "style" not in edges[key]
    assert "class" not in nodes["sorry"]
