"""diff_projects on a git repository built in the test, and on small flows in memory."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from flowctl.diff.report import to_json
from flowctl.diff.result import Move
from flowctl.diff.semantic import diff_projects
from flowctl.diff.sources import load_sides
from flowctl.loader.build_flow import build_flow
from flowctl.loader.yaml_reader import parse_yaml_text
from flowctl.model.flow import Flow

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

F = "flows/support.flow.yaml"


def span(line: int, column: int, file: str = F) -> dict[str, Any]:
    return {"file": file, "line": line, "column": column}


@needs_git
def test_revision_against_revision(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    sides = load_sides("v1", "v2")
    assert (sides.before.label, sides.after.label) == ("v1", "v2")
    assert sorted(f.id for f in sides.before.flows) == ["faq", "legacy", "support"]
    assert sorted(f.id for f in sides.after.flows) == ["faq", "feedback", "support"]
    diff = diff_projects(sides.before.flows, sides.after.flows)
    data = to_json(diff)
    flows = {flow["flow"]: flow for flow in data["flows"]}
    assert list(flows) == ["faq", "feedback", "legacy", "support"]

    # a file renamed with the same flow id: a change of `file`, nothing else
    faq = flows["faq"]
    assert faq["status"] == "changed"
    assert [(c["field"], c["before"], c["after"]) for c in faq["fields"]] == [
        ("file", "flows/faq.flow.yaml", "flows/help/faq.flow.yaml")]
    assert faq["blocks"] == [] and faq["start"] == []
    assert faq["edges"] == {"added": [], "removed": []}

    # a flow added and a flow removed, with their blocks
    assert flows["feedback"]["status"] == "added"
    assert [(b["id"], b["status"]) for b in flows["feedback"]["blocks"]] == [
        ("rate", "added"), ("thanks", "added")]
    assert flows["feedback"]["after"] == span(1, 1, "flows/feedback.flow.yaml")
    assert flows["legacy"]["status"] == "removed"
    assert [(b["id"], b["status"]) for b in flows["legacy"]["blocks"]] == [("hello", "removed")]
    assert [e["key"] for e in flows["legacy"]["edges"]["removed"]] == [
        "hello -fallthrough-> (end)"]

    support = flows["support"]
    assert support["status"] == "changed"
    assert support["fields"] == []
    # start condition: events and priority, with both positions
    assert support["start"] == [
        {"field": "on", "before": ["chat_opened"], "after": ["chat_opened", "page_view"],
         "before_span": span(4, 7), "after_span": span(4, 8)},
        {"field": "priority", "before": 5, "after": 10,
         "before_span": span(5, 13), "after_span": span(5, 13)},
    ]
    blocks = support["blocks"]
    assert [(b["id"], b["type"], b["status"], b["renamed_from"]) for b in blocks] == [
        ("ask_email", "question", "added", None),
        ("ask_topic", "question", "changed", None),
        ("check_vip", "branch", "changed", None),
        ("old_tag", "tag", "removed", None),
        ("tech_tips", "message", "changed", None),
        ("billing_desk", "escalate", "changed", "to_billing"),
    ]
    by_id = {b["id"]: b for b in blocks}
    assert by_id["ask_email"]["after"] == span(10, 5) and by_id["ask_email"]["before"] is None
    assert by_id["old_tag"]["before"] == span(31, 5) and by_id["old_tag"]["after"] is None
    # a choice label changed; its target renamed with the block: no change of `next`
    assert by_id["ask_topic"]["fields"] == [
        {"field": "choices[1].label", "before": "Billing", "after": "Billing & invoices",
         "before_span": span(14, 9), "after_span": span(19, 9)}]
    # a changed branch condition
    assert by_id["check_vip"]["fields"] == [
        {"field": "cases[1].when", "before": "visitor.returning",
         "after": "visitor.returning and visitor.visits > 3",
         "before_span": span(28, 15), "after_span": span(30, 15)}]
    # the rename: same content, references updated, so no field changes
    assert by_id["billing_desk"]["fields"] == []
    assert by_id["billing_desk"]["moved"] is None
    assert by_id["billing_desk"]["before"] == span(37, 5)
    assert by_id["billing_desk"]["after"] == span(39, 5)
    # the move changed where tech_tips falls through to
    assert by_id["tech_tips"]["fields"] == []
    assert by_id["tech_tips"]["moved"] == {
        "before_index": 3, "after_index": 7, "falls_to_before": "survey",
        "falls_to_after": "billing_desk", "falls_from_before": None, "falls_from_after": None}
    # edges: old ids mapped through the rename, so the rename alone shows no churn; the
    # relabelled choice (same target) is the field change above, not an edge removed and added
    assert [e["key"] for e in support["edges"]["removed"]] == [
        "greet -fallthrough-> ask_topic",
        "tech_tips -fallthrough-> survey",
        "old_tag -fallthrough-> to_tech",
    ]
    assert [e["key"] for e in support["edges"]["added"]] == [
        "greet -fallthrough-> ask_email",
        "ask_email -fallthrough-> ask_topic",
        "ask_email -on_invalid-> (end)",
        "tech_tips -fallthrough-> billing_desk",
    ]
    assert data["summary"] == {
        "flows_added": 1, "flows_removed": 1, "flows_changed": 2, "blocks_added": 1,
        "blocks_removed": 1, "blocks_changed": 4, "edges_added": 4, "edges_removed": 3,
    }


def flow(text: str, name: str = "f.flow.yaml") -> Flow:
    built = build_flow(parse_yaml_text(text, name))
    assert built is not None
    return built


BASE = """\
flow: f
blocks:
  - id: ask
    type: question
    text: Size?
    choices: [Small, Big]
    save: size
    next: route
  - id: route
    type: branch
    cases:
      - when: size == 'Big'
        next: sales
    default: done
  - id: sales
    type: escalate
    department: sales
  - id: done
    type: end
    outcome: self_serve
"""


def test_same_flow_no_changes() -> None:
    assert diff_projects([flow(BASE)], [flow(BASE, "other.flow.yaml")]).flows[0].fields[0].field \
        == "file"
    assert not diff_projects([flow(BASE)], [flow(BASE)]).has_changes


def test_rename_with_references_is_one_rename() -> None:
    after = BASE.replace("sales", "to_sales").replace("department: to_sales", "department: sales")
    diff = diff_projects([flow(BASE)], [flow(after)])
    (f,) = diff.flows
    assert [(b.id, b.status, b.renamed_from, b.fields) for b in f.blocks] == [
        ("to_sales", "changed", "sales", ())]
    assert f.edges_added == () and f.edges_removed == ()


def test_near_rename_reports_the_field_that_changed() -> None:
    after = BASE.replace("id: done", "id: finished").replace("default: done", "default: finished")
    after = after.replace("outcome: self_serve", "outcome: self_served")
    (f,) = diff_projects([flow(BASE)], [flow(after)]).flows
    (block,) = f.blocks
    assert (block.id, block.renamed_from) == ("finished", "done")
    assert [(c.field, c.before, c.after) for c in block.fields] == [
        ("outcome", "self_serve", "self_served")]


def test_different_blocks_are_removed_and_added_not_renamed() -> None:
    after = BASE.replace("""  - id: done
    type: end
    outcome: self_serve""", """  - id: bye
    type: end
    text: See you, have a nice day!
    outcome: goodbye""").replace("default: done", "default: bye")
    (f,) = diff_projects([flow(BASE)], [flow(after)]).flows
    assert [(b.id, b.status) for b in f.blocks] == [
        ("route", "changed"), ("done", "removed"), ("bye", "added")]
    assert [(c.field, c.before, c.after) for c in f.blocks[0].fields] == [
        ("default", "done", "bye")]


def test_move_without_fall_through_change_is_not_reported() -> None:
    # `sales` and `done` never fall through; swapping them changes nothing
    after = BASE.replace("""  - id: sales
    type: escalate
    department: sales
  - id: done
    type: end
    outcome: self_serve
""", """  - id: done
    type: end
    outcome: self_serve
  - id: sales
    type: escalate
    department: sales
""")
    assert not diff_projects([flow(BASE)], [flow(after)]).has_changes


def test_moving_the_first_block_changes_the_entry() -> None:
    text = "flow: g\nblocks:\n  - id: a\n    type: message\n    text: A\n" \
           "  - id: b\n    type: message\n    text: B\n"
    swapped = "flow: g\nblocks:\n  - id: b\n    type: message\n    text: B\n" \
              "  - id: a\n    type: message\n    text: A\n"
    (f,) = diff_projects([flow(text)], [flow(swapped)]).flows
    assert [(c.field, c.before, c.after) for c in f.fields] == [("entry", "a", "b")]
    (block,) = f.blocks
    assert block.id == "b"
    assert block.moved == Move(2, 1, "(end)", "a", "a", None)
    assert sorted(e.key for e in f.edges_added) == ["a -fallthrough-> (end)", "b -fallthrough-> a"]
    assert sorted(e.key for e in f.edges_removed) == ["a -fallthrough-> b", "b -fallthrough-> (end)"]


def test_start_condition_fields() -> None:
    before = "flow: h\nstart:\n  on: page_view\n  when: page.path == '/a'\n  once: always\n" \
             "blocks:\n  - id: x\n    type: end\n"
    after = "flow: h\nstart:\n  on: page_view\n  when: {all: [\"page.path == '/a'\", visitor.returning]}\n" \
            "  schedule: business_hours\n  active: {from: 2026-01-01}\nblocks:\n  - id: x\n    type: end\n"
    (f,) = diff_projects([flow(before)], [flow(after)]).flows
    assert [(c.field, c.before, c.after) for c in f.start] == [
        ("when", "page.path == '/a'", {"all": ["page.path == '/a'", "visitor.returning"]}),
        ("schedule", None, "business_hours"),
        ("active", None, {"from": "2026-01-01", "until": None}),
        ("once", "always", "per_conversation"),
    ]


def test_flows_sharing_an_id_pair_up_by_file() -> None:
    """Two unrelated files that both say `flow: f` are never compared with each other."""
    other = BASE.replace("Size?", "How big?")
    before = [flow(BASE, "a/f.flow.yaml"), flow(BASE, "b/f.flow.yaml")]
    after = [flow(BASE, "a/f.flow.yaml"), flow(other, "b/f.flow.yaml"), flow(BASE, "c/f.flow.yaml")]
    result = to_json(diff_projects(before, after))["flows"]
    assert [(f["flow"], (f["after"] or f["before"])["file"], f["status"]) for f in result] == [
        ("f", "b/f.flow.yaml", "changed"), ("f", "c/f.flow.yaml", "added")]
    assert [c["field"] for c in result[0]["blocks"][0]["fields"]] == ["text"]


def test_reordered_start_events_are_no_change() -> None:
    a = "flow: f\nstart:\n  on: [chat_opened, page_view]\nblocks:\n  - {id: done, type: end}\n"
    b = a.replace("[chat_opened, page_view]", "[page_view, chat_opened]")
    assert not diff_projects([flow(a)], [flow(b)]).has_changes


def test_a_retyped_block_shows_what_was_written_not_defaults() -> None:
    a = "flow: f\nblocks:\n  - {id: ask, type: message, text: Hi}\n  - {id: done, type: end}\n"
    b = a.replace("{id: ask, type: message, text: Hi}",
                  "{id: ask, type: question, text: Hi, choices: [a, b]}")
    (f,) = diff_projects([flow(a)], [flow(b)]).flows
    (block,) = f.blocks
    assert [(c.field, c.before, c.after) for c in block.fields] == [
        ("type", "message", "question"), ("choices", None, [{"label": "a"}, {"label": "b"}])]


@pytest.mark.parametrize(("value", "shown"), [
    (3.0, "3"), (2.5, "2.5"), ({"min": 5.0, "max": [1.0, 1.5]}, '{"min": 5, "max": [1, 1.5]}'),
    (True, "true"), ("3.0", '"3.0"'), (None, "(none)")])
def test_whole_numbers_show_as_integers(value: Any, shown: str) -> None:
    """`min: 3 -> 5` in a diff, not `3.0 -> 5.0` (the model keeps numbers as floats)."""
    from flowctl.diff.wording import show

    assert show(value) == shown
