"""Long values in problems (issue 10, item 13): a 200 KB label or text is quoted shortened in
messages and cut around the column in the source excerpt, in every lint output format."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from flowctl.cli.app import app
from flowctl.model.problem import Problem, shorten_quoted
from flowctl.model.span import SourceSpan
from flowctl.report.text import SOURCE_MAX, window

LONG = "x" * 200_000
FLOW = f"""\
flow: m
start: {{on: chat_opened}}
blocks:
  - {{id: a, type: message, text: "{{{{ visitor.nmae }}}} {LONG}", nxt: b}}
  - {{id: b, type: "{LONG}"}}
  - id: c
    type: question
    text: hi
    choices: ["{LONG}", "{LONG}"]
    next: b
"""


@pytest.mark.parametrize("fmt", ["text", "json", "github", "junit", "sarif"])
def test_a_200_kb_value_makes_a_short_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             fmt: str) -> None:
    (tmp_path / "flowctl.yaml").write_text("project: m\ntimezone: Europe/Berlin\n")
    (tmp_path / "m.flow.yaml").write_text(FLOW)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["lint", "--format", fmt, "--no-color"])
    assert result.exit_code == 1, result.output[:2000]
    assert len(result.stdout) < 80_000  # SARIF carries the rule catalogue (60 KB)
    assert "x" * 1000 not in result.stdout
    if fmt != "sarif":
        assert "(200,000 characters)" in result.stdout  # X008 quotes the label


def test_the_text_report_shows_the_column_of_a_long_line(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "flowctl.yaml").write_text("project: m\ntimezone: Europe/Berlin\n")
    (tmp_path / "m.flow.yaml").write_text(FLOW)
    monkeypatch.chdir(tmp_path)
    out = CliRunner().invoke(app, ["lint", "--no-color"]).stdout
    # `nxt` at column 200,057: the last SOURCE_MAX code points of the line
    assert "\n4 | …" + "x" * 150 + '", nxt: b}\n' in out
    assert "\n  | " + " " * 154 + "^^^\n  = hint: did you mean 'next'?" in out


@pytest.mark.parametrize(("message", "expected"), [
    ("short 'value'", "short 'value'"),
    ("label '" + "a" * 150 + "' is long",
     "label '" + "a" * 66 + "…" + "a" * 33 + "' (150 characters) is long"),
    ('type: "' + "b" * 101 + '"', 'type: "' + "b" * 66 + "…" + "b" * 33 + '" (101 characters)'),
    ("`" + "c" * 100 + "`", "`" + "c" * 100 + "`"),  # at the limit: whole
])
def test_quoted_values_are_shortened(message: str, expected: str) -> None:
    assert shorten_quoted(message) == expected
    assert Problem(message, SourceSpan("f", 1, 1)).message == expected


def test_a_long_message_is_cut_to_1000_characters() -> None:
    assert len(Problem("word " * 100_000, SourceSpan("f", 1, 1)).message) == 1000


@pytest.mark.parametrize(("length", "start", "end", "shown_start"), [
    (100, 10, 15, 10),           # short: whole
    (1000, 10, 15, 10),          # near the start: no cut on the left
    (1000, 500, 505, 41),        # in the middle: 40 before, an ellipsis
    (1000, 995, 998, 155 + 1),   # near the end: the last SOURCE_MAX code points
])
def test_window(length: int, start: int, end: int, shown_start: int) -> None:
    line = "".join(chr(ord("a") + i % 26) for i in range(length))
    shown, new_start, new_end = window(line, start, end)
    assert len(shown) <= SOURCE_MAX + 2
    assert new_start == shown_start
    assert shown[new_start:new_end] == line[start:end]
