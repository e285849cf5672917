"""The DOT text of one flow, read back with pydot: nodes, edges, labels, styles, legend."""

from __future__ import annotations

import pytest

from flowctl.model.graph import edges as graph_edges
from flowctl.render import START_ID, flow_diagram, render, to_dot
from flowctl.render.diagram import DASHED_KINDS, KIND_STYLES

from .helpers import FLOWS, PROJECT, dot_edges, dot_nodes, flow, html_text, load, parse_dot

BLOCKS = {  # block id -> type, in file order
    "greet": "message", "ask_topic": "question", "ask_email": "question",
    "lookup_account": "data_request", "route": "branch", "to_sales": "escalate",
    "sorry": "message", "bye": "end",
}
# edge key -> (label as drawn, dashed); the key is the DOT edge's tooltip
EDGES = {
    "greet -fallthrough-> ask_topic": ("", False),
    "ask_topic -choice[Billing question]-> ask_email": ("Billing question", False),
    "ask_topic -choice[Talk to sales]-> route": ("Talk to sales", False),
    "ask_topic -on_invalid-> (end)": ("invalid answer", True),
    "ask_email -fallthrough-> lookup_account": ("", False),
    "ask_email -on_invalid-> sorry": ("invalid answer", True),
    "ask_email -on_timeout-> sorry": ("no reply in 120s", True),
    "lookup_account -fallthrough-> route": ("", False),
    "lookup_account -on_error-> sorry": ("call failed", True),
    "route -case[case 1]-> to_sales": ("visitor returning and visitor visits ≥ 3", False),
    "route -case[case 2]-> sorry": ("visitor country one of DE, AT, CH and…", False),
    "route -default-> bye": ("otherwise", False),
    "to_sales -end-> (end)": ("", False),
    "to_sales -when_unavailable-> sorry": ("no agent online", True),
    "sorry -fallthrough-> bye": ("", False),
}
PAIRS = sorted([
    (START_ID, "greet"), ("greet", "ask_topic"), ("ask_topic", "ask_email"), ("ask_topic", "route"),
    ("ask_topic", "__end__unresolved"), ("ask_email", "lookup_account"), ("ask_email", "sorry"),
    ("ask_email", "sorry"), ("lookup_account", "route"), ("lookup_account", "sorry"),
    ("route", "to_sales"), ("route", "sorry"), ("route", "bye"), ("to_sales", "__end__escalated"),
    ("to_sales", "sorry"), ("sorry", "bye"),
])


@pytest.fixture(scope="module")
def graph():
    return parse_dot(to_dot(flow_diagram(flow("structure"))))


@pytest.fixture(scope="module")
def nodes(graph):
    return dot_nodes(graph)


@pytest.fixture(scope="module")
def edges_by_key(graph):
    out = {}
    for source, target, attrs in dot_edges(graph):
        if source != START_ID:
            out[attrs["tooltip"]] = (source, target, attrs)
    return out


def test_graph_is_a_quoted_digraph_named_after_the_flow(graph) -> None:
    assert graph.get_type() == "digraph"
    assert graph.get_name() == '"structure"'


def test_node_ids_are_start_blocks_and_implicit_ends(nodes) -> None:
    assert set(nodes) == {START_ID, *BLOCKS, "__end__unresolved", "__end__escalated"}


def test_end_nodes_name_their_outcome(nodes) -> None:
    assert html_text(nodes["__end__unresolved"]["label"]) == "end: unresolved"
    assert html_text(nodes["__end__escalated"]["label"]) == "end: escalated"


def test_edge_pairs(graph) -> None:
    assert sorted((s, t) for s, t, _ in dot_edges(graph)) == PAIRS


def test_every_graph_edge_is_drawn_once_with_its_key(edges_by_key) -> None:
    keys = {edge.key for edge in graph_edges(flow("structure"))} - {"bye -end-> (end)"}
    assert set(edges_by_key) == keys == set(EDGES)


@pytest.mark.parametrize("key", sorted(EDGES))
def test_edge_label(edges_by_key, key: str) -> None:
    label, _ = EDGES[key]
    drawn = edges_by_key[key][2].get("label", "")
    assert " ".join(drawn.split()) == label


def test_long_branch_condition_is_shortened(edges_by_key) -> None:
    drawn = edges_by_key["route -case[case 2]-> sorry"][2]["label"]
    flat = " ".join(drawn.split())
    assert len(flat) <= 40 and flat.endswith("…")
    assert "pricing/enterprise" not in flat  # the tail of the condition was cut


def test_condition_labels_are_wrapped_on_several_lines(edges_by_key) -> None:
    assert "\n" in edges_by_key["route -case[case 1]-> to_sales"][2]["label"]


@pytest.mark.parametrize("key", sorted(EDGES))
def test_dashed_exactly_on_error_exits(edges_by_key, key: str) -> None:
    _, dashed = EDGES[key]
    attrs = edges_by_key[key][2]
    assert (attrs.get("style") == "dashed") is dashed
    kind = key.split(" -", 1)[1].split("-> ")[0].split("[")[0]
    assert dashed is (kind in DASHED_KINDS)


def test_start_edge_is_plain(graph) -> None:
    starts = [attrs for s, _, attrs in dot_edges(graph) if s == START_ID]
    assert len(starts) == 1
    assert "label" not in starts[0] and "style" not in starts[0]


@pytest.mark.parametrize("block_id", sorted(BLOCKS))
def test_block_node_looks_like_its_kind(nodes, block_id: str) -> None:
    style = KIND_STYLES[BLOCKS[block_id]]
    attrs = nodes[block_id]
    assert (attrs["shape"], attrs["fillcolor"], attrs["color"], attrs["style"]) == (
        style.dot_shape, style.fill, style.border, style.dot_style)
    assert attrs["tooltip"] == BLOCKS[block_id]
    assert html_text(attrs["label"]).split("\n")[0] == block_id


def test_kinds_differ_in_shape_or_fill(nodes) -> None:
    looks = {}
    for block_id, kind in BLOCKS.items():
        looks.setdefault(kind, set()).add((nodes[block_id]["shape"], nodes[block_id]["fillcolor"]))
    assert all(len(seen) == 1 for seen in looks.values())  # same kind, same look
    distinct = [next(iter(seen)) for seen in looks.values()]
    assert len(set(distinct)) == len(distinct)  # different kinds, different looks
    assert len({fill for _, fill in distinct}) == len(distinct)


def test_blocks_that_wait_or_end_are_told_apart_by_shape(nodes) -> None:
    """A question (the flow waits) has a double border; an end is an octagon: beside their
    colours, shapes set them apart from messages (rounded boxes)."""
    assert [nodes[b].get("peripheries") for b in ("ask_topic", "ask_email")] == ["2", "2"]
    assert nodes["greet"].get("peripheries") is None
    assert nodes["bye"]["shape"] == "octagon" and nodes["greet"]["shape"] == "box"


def test_block_details_in_labels(nodes) -> None:
    assert html_text(nodes["ask_email"]["label"]).split("\n") == [
        "ask_email", "“Your email, please?”", "email", "→ email"]
    assert html_text(nodes["lookup_account"]["label"]).split("\n") == [
        "lookup_account", "GET lookup → account"]
    assert html_text(nodes["to_sales"]["label"]).split("\n") == ["to_sales", "to sales (normal)"]
    assert html_text(nodes["bye"]["label"]).split("\n") == ["bye", "outcome: done"]


def test_start_node_states_the_start_condition_in_words(nodes) -> None:
    assert html_text(nodes[START_ID]["label"]).split("\n") == [
        "Start",
        "when a page is viewed",
        "if page path starts with /pricing",
        "during business_hours",
        "from 2026-11-01 until 2027-03-31",
        "once per visitor, priority 7",
    ]
    assert nodes[START_ID]["shape"] == KIND_STYLES["start"].dot_shape
    assert nodes[START_ID]["fillcolor"] == KIND_STYLES["start"].fill


def test_note_is_a_small_italic_line_of_the_label(nodes) -> None:
    label = nodes["greet"]["label"]
    assert html_text(label).split("\n") == ["greet", "“Hello there!”", "First impression matters."]
    assert '<font point-size="9" color="#546E7A"><i>First impression matters.</i></font>' in label
    assert "<i>" not in nodes["sorry"]["label"]  # no note, no italic line


def test_graph_label_has_title_and_legend(graph) -> None:
    attrs = graph.get_graph_defaults()[0]
    text = html_text(attrs["label"])
    assert "structure: Every kind of edge" in text
    assert "Legend" in text
    for kind in ("start", *sorted(set(BLOCKS.values()))):
        assert KIND_STYLES[kind].label in text, kind
        assert f'bgcolor="{KIND_STYLES[kind].fill}"' in attrs["label"]
    assert "dashed: invalid answer, no reply, call failed, no agent online" in text
    assert KIND_STYLES["form"].label not in text.split("Legend")[1]  # only kinds that occur


def test_legend_can_be_left_out() -> None:
    graph = parse_dot(to_dot(flow_diagram(flow("structure")), legend=False))
    text = html_text(graph.get_graph_defaults()[0]["label"])
    assert text.strip() == "structure: Every kind of edge"


def test_flow_without_start_says_how_it_starts(tmp_path) -> None:
    (tmp_path / "flowctl.yaml").write_text("project: t\ntimezone: Europe/Berlin\n", encoding="utf-8")
    (tmp_path / "sub.flow.yaml").write_text(
        "flow: sub\nblocks:\n  - id: hi\n    type: message\n    text: Hi\n  - id: done\n    type: end\n",
        encoding="utf-8")
    nodes = dot_nodes(parse_dot(to_dot(flow_diagram(flow("sub", tmp_path)))))
    assert html_text(nodes[START_ID]["label"]).split("\n") == [
        "Start", "only when another flow goes to it"]


def test_same_flow_gives_identical_dot_text() -> None:
    first = to_dot(flow_diagram(flow("structure")))
    again = to_dot(flow_diagram(load(PROJECT).flow("structure")))  # a fresh load
    assert first == again
    assert render(flow_diagram(flow("structure")), "dot") == first.encode("utf-8")


@pytest.mark.parametrize("path", sorted(FLOWS.glob("*.flow.yaml")), ids=lambda p: p.name)
def test_example_flows_are_deterministic_and_parse(path) -> None:
    flow_id = path.name.removesuffix(".flow.yaml")
    texts = {to_dot(flow_diagram(flow(flow_id, FLOWS))) for _ in range(2)}
    assert len(texts) == 1
    nodes = dot_nodes(parse_dot(texts.pop()))
    assert {b.id for b in flow(flow_id, FLOWS).blocks} <= set(nodes)


def test_branch_without_default_says_otherwise() -> None:
    """A branch with no `default` goes on to the next block when no case matches."""
    diagram = flow_diagram(flow("defects"))
    edges = {(e.source, e.kind): e for e in diagram.edges if e.source == "route"}
    assert set(edges) == {("route", "case"), ("route", "fallthrough")}
    fall = edges[("route", "fallthrough")]
    assert (fall.target, fall.label, fall.style) == ("to_support", "otherwise", "solid")
    drawn = {attrs["tooltip"]: attrs for _, _, attrs in dot_edges(parse_dot(to_dot(diagram)))
             if "tooltip" in attrs}
    assert drawn[fall.key]["label"] == "otherwise"


def test_only_a_branch_labels_its_fall_through(edges_by_key) -> None:
    """Other blocks simply go on to the next one: that arrow needs no words."""
    for key in ("greet -fallthrough-> ask_topic", "lookup_account -fallthrough-> route"):
        assert "label" not in edges_by_key[key][2]
