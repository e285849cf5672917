"""The generated reference pages must match the code: rules' docstrings and the schemas."""

from __future__ import annotations

import io
from pathlib import Path

from flowctl.docs import write_rules_markdown
from flowctl.docs_format import write_format_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_rules_page_is_current() -> None:
    out = io.StringIO()
    write_rules_markdown(out)
    assert (DOCS / "rules.md").read_text(encoding="utf-8") == out.getvalue(), (
        "docs/rules.md is stale: run `make docs`"
    )


def test_format_page_is_current() -> None:
    out = io.StringIO()
    write_format_markdown(out)
    assert (DOCS / "format.md").read_text(encoding="utf-8") == out.getvalue(), (
        "docs/format.md is stale: run `make docs`"
    )


def test_every_rule_documents_a_failing_and_a_passing_example() -> None:
    from flowctl.lint.catalogue import all_rules

    for rule in all_rules().values():
        assert rule.summary, rule.code
        assert "Bad:" in rule.doc and "Good:" in rule.doc, f"{rule.code} lacks Bad/Good examples"
