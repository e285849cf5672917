"""The words on the diagram: conditions in plain words, start conditions, cut and wrapped text."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowctl.render import flow_diagram
from flowctl.render.words import (
    LABEL_MAX,
    LINE_WIDTH,
    block_lines,
    humanize_expr,
    shorten,
    start_lines,
    wrap,
)

from .helpers import flow


@pytest.mark.parametrize(("source", "words"), [
    ("page.path.startswith('/pricing')", "page path starts with /pricing"),
    ("page.url.endswith('.pdf')", "page url ends with .pdf"),
    ("visitor.time_on_page >= 20", "visitor time on page ≥ 20"),
    ("days_since(visitor.attributes.signed_up_at) <= 14",
     "days since visitor attributes signed up at ≤ 14"),
    ("device.type != 'mobile'", "device type is not mobile"),
    ("device.type == 'desktop'", "device type is desktop"),
    ("company_size in ['51-200', '200+']", "company size one of 51-200, 200+"),
    ("visitor.country not in ['DE', 'AT']", "visitor country not one of DE, AT"),
    ("matches(email, '@acme')", "email matches @acme"),
    ("contains_any(event.message, ['price', 'cost'])", "event message mentions price, cost"),
    ("within('business_hours')", "within business_hours"),
    ("page.title == 'a.b_c == d'", "page title is a.b_c == d"),  # quoted text kept as written
    ("visitor.returning", "visitor returning"),
    ("  visitor.visits   >   3  ", "visitor visits > 3"),
])
def test_humanize_expr(source: str, words: str) -> None:
    assert humanize_expr(source) == words


START = """\
flow: s
start:
{start}
blocks:
  - id: hi
    type: message
    text: Hi
"""


@pytest.mark.parametrize(("start", "lines"), [
    ("  on: chat_opened", ["when a chat is opened", "once per conversation"]),
    ("  on: [visitor_identified, page_view]\n  once: always",
     ["when the visitor is identified or when a page", "is viewed", "every time"]),  # wrapped
    ("  on: custom:purchase_completed\n  priority: 40",
     ["on custom event purchase_completed", "once per conversation, priority 40"]),
    ("  on: page_view\n  when:\n    all:\n      - page.path == '/a'\n      - visitor.returning",
     ["when a page is viewed", "if page path is /a", "and visitor returning",
      "once per conversation"]),
    ("  on: page_view\n  when:\n    any: [\"page.path == '/a'\", visitor.returning]",
     ["when a page is viewed", "if page path is /a or visitor returning", "once per conversation"]),
    ("  on: page_view\n  when:\n    not: visitor.returning",
     ["when a page is viewed", "if not (visitor returning)", "once per conversation"]),
    ("  on: visitor_idle\n  schedule: office", ["when the visitor is idle", "during office",
                                                "once per conversation"]),
    ("  on: chat_opened\n  active: {from: 2026-12-01}",
     ["when a chat is opened", "from 2026-12-01", "once per conversation"]),
    ("  on: chat_opened\n  active: {until: 2026-12-31}",
     ["when a chat is opened", "until 2026-12-31", "once per conversation"]),
])
def test_start_lines(tmp_path: Path, start: str, lines: list[str]) -> None:
    (tmp_path / "flowctl.yaml").write_text(
        "project: t\ntimezone: Europe/Berlin\nschedules:\n  office: {hours: {mon-fri: \"09:00-17:00\"}}\n",
        encoding="utf-8")
    (tmp_path / "s.flow.yaml").write_text(START.format(start=start), encoding="utf-8")
    assert start_lines(flow("s", tmp_path).start) == lines


def test_start_lines_without_start() -> None:
    assert start_lines(None) == ["only when another flow goes to it"]


def test_long_start_clauses_are_wrapped() -> None:
    lines = start_lines(flow("onboarding", Path(__file__).resolve().parents[2] / "flows").start)
    assert lines[:2] == ["when the visitor is identified or when a page", "is viewed"]
    assert all(len(line) <= 46 for line in lines)
    assert lines[-1] == "once per visitor, priority 30"


@pytest.mark.parametrize(("text", "expected"), [
    ("short", "short"),
    ("  spaces   are\n squeezed ", "spaces are squeezed"),
    ("word " * 20, "word word word word word word word…"),
    ("x" * 60, "x" * (LABEL_MAX - 1) + "…"),
    ("a " + "y" * 60, "a " + "y" * (LABEL_MAX - 3) + "…"),  # no space late enough: cut the word
])
def test_shorten(text: str, expected: str) -> None:
    assert shorten(text) == expected
    assert len(shorten(text)) <= LABEL_MAX


@pytest.mark.parametrize("limit", [10, 25, 40])
def test_shorten_never_exceeds_the_limit(limit: int) -> None:
    for text in ["The quick brown fox jumps over the lazy dog, again and again.", "z" * 100]:
        assert len(shorten(text, limit)) <= limit


def test_wrap() -> None:
    assert wrap("") == []
    assert wrap("one two three", 30) == ["one two three"]
    assert wrap("aaaa bbbb cccc dddd", 9) == ["aaaa bbbb", "cccc dddd"]
    cut = wrap("x" * 100, 30, max_lines=3)
    assert len(cut) == 3 and cut[-1].endswith("…") and all(len(line) <= 30 for line in cut)


@pytest.mark.parametrize(("source", "words"), [
    ("agents.departments.sales > 0", "agents online in sales > 0"),
    ("agents.online == 0", "agents online is 0"),
])
def test_agent_availability_in_plain_words(source: str, words: str) -> None:
    assert humanize_expr(source) == words


SETS = """\
flow: s
blocks:
  - id: few
    type: set
    values:
      plan: pro
      seats: 5
  - id: many
    type: set
    values:
      greeting: "Hello {{ visitor.name }}"
      vip: true
      referrer: null
      seats: 12
      plan: enterprise
  - id: long
    type: set
    values:
      note_for_sales: a very long value that does not fit on one line of the node at all
  - id: bye
    type: end
"""


@pytest.mark.parametrize(("block_id", "lines"), [
    ("few", ["plan = pro", "seats = 5"]),
    ("many", ["greeting = Hello {{ visitor.name }}", "vip = true", "referrer = null", "… and 2 more"]),
    ("long", ["note_for_sales = a very long value…"]),
])
def test_set_block_shows_name_equals_value(tmp_path: Path, block_id: str, lines: list[str]) -> None:
    (tmp_path / "flowctl.yaml").write_text("project: t\ntimezone: Europe/Berlin\n", encoding="utf-8")
    (tmp_path / "s.flow.yaml").write_text(SETS, encoding="utf-8")
    block = flow("s", tmp_path).by_id[block_id]
    assert block_lines(block) == lines
    assert all(len(line) <= LINE_WIDTH + 6 for line in lines)


def test_agent_availability_on_a_drawn_branch() -> None:
    diagram = flow_diagram(flow("lead-qualification", Path(__file__).resolve().parents[2] / "flows"))
    labels = {edge.label for edge in diagram.edges if edge.source == "sales_live"}
    assert "agents online in sales > 0" in labels
    assert not any("agents." in label or "departments" in label for label in labels)
