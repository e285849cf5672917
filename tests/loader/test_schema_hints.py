"""Hints of schema problems (S003) that quote the source (issue 10, item 7)."""

from __future__ import annotations

from pathlib import Path

from flowctl.loader.schema_check import check_schema
from flowctl.loader.yaml_reader import parse_yaml_bytes

CASES = Path(__file__).parent.parent / "cases" / "lint" / "cases"


def test_a_number_meant_as_text_is_quoted_as_written() -> None:
    case = CASES / "S003-number-as-text.flow.yaml"
    doc = parse_yaml_bytes(case.read_bytes(), case.name)
    found = [(p.span.line, p.span.column, p.hint) for p in check_schema(doc, "flow")]
    assert found == [(8, 11, 'quote it: "1.10"'), (11, 16, 'quote it: "010"')]
