"""The project map of the example project: a node per flow, its start events, goto edges."""

from __future__ import annotations

import re

import pytest

from flowctl.model.blocks import GotoBlock
from flowctl.render import project_diagram, render, to_dot, to_mermaid
from flowctl.render.diagram import KIND_STYLES

from .helpers import FLOWS, dot_edges, dot_nodes, html_text, load, needs_dot, parse_dot, svg_titles

EXAMPLE_FLOWS = {"booking", "feedback", "lead-qualification", "onboarding", "support-triage"}


@pytest.fixture(scope="module")
def project():
    return load(FLOWS)


@pytest.fixture(scope="module")
def diagram(project):
    return project_diagram(project)


def test_the_example_project_has_its_five_flows(project) -> None:
    assert {f.id for f in project.flows} == EXAMPLE_FLOWS


def test_one_flow_node_per_flow(diagram, project) -> None:
    flow_nodes = [n for n in diagram.nodes if n.kind == "flow"]
    assert sorted(n.id for n in flow_nodes) == sorted(f"flow:{f.id}" for f in project.flows)
    for node in flow_nodes:
        assert node.lines[0] == node.id.removeprefix("flow:")


def test_one_event_node_per_start_event(diagram, project) -> None:
    expected = {f"event:{event}" for f in project.flows if f.start for event in f.start.on}
    events = [n for n in diagram.nodes if n.kind == "event"]
    assert len(events) == len(expected)
    assert {n.id for n in events} == expected
    assert {"event:page_view", "event:chat_opened", "event:custom:demo_requested"} <= expected
    words = {n.id: n.lines[0] for n in events}
    assert words["event:page_view"] == "a page is viewed"
    assert words["event:custom:demo_requested"] == "custom event demo_requested"


def test_no_other_nodes(diagram) -> None:
    assert {n.kind for n in diagram.nodes} == {"flow", "event"}
    assert diagram.kind == "project" and diagram.title == "flow map"


def test_start_edges_from_events_to_flows(diagram, project) -> None:
    starts = {(e.source, e.target) for e in diagram.edges if e.kind == "starts"}
    assert starts == {(f"event:{event}", f"flow:{f.id}")
                      for f in project.flows if f.start for event in f.start.on}


def test_goto_edge_onboarding_to_booking(diagram, project) -> None:
    gotos = [(e.source, e.target, e.label) for e in diagram.edges if e.kind == "goto"]
    assert ("flow:onboarding", "flow:booking", "goto (go_booking)") in gotos
    expected = [(f"flow:{f.id}", f"flow:{b.flow.name}") for f in project.flows for b in f.blocks
                if isinstance(b, GotoBlock)]
    assert sorted((s, t) for s, t, _ in gotos) == sorted(expected)


def test_dot_of_the_project_map(diagram) -> None:
    graph = parse_dot(to_dot(diagram))
    nodes = dot_nodes(graph)
    assert set(nodes) == {n.id for n in diagram.nodes}
    for node in diagram.nodes:
        assert nodes[node.id]["shape"] == KIND_STYLES[node.kind].dot_shape
    edges = dot_edges(graph)
    assert len(edges) == len(diagram.edges)
    goto = [attrs for s, t, attrs in edges if (s, t) == ("flow:onboarding", "flow:booking")]
    assert len(goto) == 1
    assert goto[0]["label"] == "goto (go_booking)"
    assert goto[0]["color"] == KIND_STYLES["goto"].border and goto[0]["penwidth"] == "2"
    legend = html_text(graph.get_graph_defaults()[0]["label"])
    assert "flow map" in legend and "start event" in legend
    assert "dashed:" not in legend  # the map has no error exits


def test_flow_nodes_show_title_and_priority(diagram) -> None:
    lines = diagram.node("flow:lead-qualification").lines
    assert lines[1:3] == ["Qualify leads on the pricing", "page"]
    assert lines[-1] == "priority 10, during business_hours"


def test_mermaid_of_the_project_map(diagram) -> None:
    text = to_mermaid(diagram)
    assert '    n_flow_onboarding -- "goto (go_booking)" --> n_flow_booking' in text.splitlines()
    assert "    n_event_custom_demo_requested --> n_flow_booking" in text.splitlines()
    links = [line.split() for line in text.splitlines() if "-->" in line or ".->" in line]
    assert len(links) == len(diagram.edges)
    for words in links:  # "flow:booking", "event:custom:x" become safe Mermaid ids
        assert re.fullmatch(r"n_[A-Za-z0-9_]+", words[0]) and re.fullmatch(r"n_[A-Za-z0-9_]+", words[-1])


@needs_dot
def test_project_map_svg(diagram) -> None:
    svg = render(diagram, "svg")
    assert svg_titles(svg) == {n.id for n in diagram.nodes}
    assert "flow:onboarding->flow:booking" in svg_titles(svg, "edge")


HOP = "flow: hop\nstart:\n  on: chat_opened\nblocks:\n  - id: jump\n    type: goto\n    flow: ghost\n"
NO_ID = "blocks:\n  - id: leap\n    type: goto\n    flow: hop\n"


@pytest.fixture
def hop(tmp_path):
    """A project whose one flow goes to a flow that does not exist."""
    (tmp_path / "flowctl.yaml").write_text("project: t\ntimezone: Europe/Berlin\n", encoding="utf-8")
    (tmp_path / "hop.flow.yaml").write_text(HOP, encoding="utf-8")
    return tmp_path


def test_goto_to_a_missing_flow_is_drawn(hop) -> None:
    diagram = project_diagram(load(hop))
    ghost = diagram.node("flow:ghost")
    assert ghost is not None and ghost.kind == "missing-flow"
    assert ghost.lines == ["? ghost", "no such flow"]
    assert [(e.source, e.target) for e in diagram.edges if e.kind == "goto"] == [
        ("flow:hop", "flow:ghost")]
    assert [item.label for item in diagram.legend if item.kind == "missing-flow"] == ["missing flow"]
    assert "missing block" not in {item.label for item in diagram.legend}


def test_missing_flow_looks_like_a_missing_block_in_dot(hop) -> None:
    diagram = project_diagram(load(hop))
    graph = parse_dot(to_dot(diagram))
    ghost = dot_nodes(graph)["flow:ghost"]
    style = KIND_STYLES["missing-flow"]
    assert (ghost["shape"], ghost["style"], ghost["fillcolor"], ghost["color"]) == (
        "box", "dashed,filled", style.fill, style.border)
    assert html_text(ghost["label"]).split("\n") == ["? ghost", "no such flow"]
    legend = html_text(graph.get_graph_defaults()[0]["label"])
    assert "missing flow" in legend and "missing block" not in legend


def test_missing_flow_is_a_rect_in_mermaid(hop) -> None:
    lines = to_mermaid(project_diagram(load(hop))).splitlines()
    assert '    n_flow_ghost["<b>? ghost</b><br/>no such flow"]' in lines
    assert any(line.startswith("    classDef k_missing_flow ") for line in lines)


def test_flows_without_an_id_are_left_out(hop) -> None:
    (hop / "noid.flow.yaml").write_text(NO_ID, encoding="utf-8")
    project = load(hop)
    assert sorted(f.id for f in project.flows) == ["", "hop"]  # loaded, with a schema error
    diagram = project_diagram(project)
    assert [n.id for n in diagram.nodes if n.kind == "flow"] == ["flow:hop"]
    assert {n.id for n in diagram.nodes} == {"event:chat_opened", "flow:hop", "flow:ghost"}
    assert {(e.source, e.target) for e in diagram.edges} == {
        ("event:chat_opened", "flow:hop"), ("flow:hop", "flow:ghost")}
