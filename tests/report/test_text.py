from __future__ import annotations

import pytest

from flowctl.report import REPORTERS, auto_format, get_reporter
from flowctl.report.text import layout, token_end

EXPECTED = """\
flows/a.flow.yaml:3:11: error[G002]: unknown target "paymnt"
  |
3 |     name: ü日 paymnt
  |               ^^^^^^
  = hint: did you mean "payment"?

flows/a.flow.yaml:4:19: warning[X005]: text is long
  |
4 |   - {id: x, text: "héllo, wörld"}
  |                   ^^^^^^^^^^^^^^

flows/b.flow.yaml:1:1: info[X002]: no escalation path
  |
1 | flow: b
  | ^^^^

1 error, 1 warning, 1 info in 3 files
"""


def test_plain_text_exact(render, result):
    assert render("text", result) == EXPECTED


def test_quiet(render, result):
    assert render("text", result, quiet=True) == (
        'flows/a.flow.yaml:3:11: error[G002]: unknown target "paymnt"\n'
        "flows/a.flow.yaml:4:19: warning[X005]: text is long\n"
        "flows/b.flow.yaml:1:1: info[X002]: no escalation path\n"
        "\n"
        "1 error, 1 warning, 1 info in 3 files\n"
    )


def test_all_passed(render, empty):
    assert render("text", empty) == "All checks passed: 2 files\n"


def test_plain_has_no_ansi(render, result, empty, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\x1b" not in render("text", result)
    assert "\x1b" not in render("text", empty)


def test_color_has_ansi(render, result, empty):
    colored = render("text", result, color=True)
    assert "\x1b[" in colored
    assert "\x1b[1;31merror[G002]" in colored  # bold red
    assert "\x1b[1;33mwarning[X005]" in colored  # bold yellow
    assert "\x1b[1;34minfo[X002]" in colored  # bold blue
    # Same text once the escapes are removed.
    import re

    assert re.sub(r"\x1b\[[0-9;]*m", "", colored) == EXPECTED
    assert "\x1b[1;32mAll checks passed" in render("text", empty, color=True)


def test_missing_source_and_line_out_of_range(render, result):
    result.sources = {}
    out = render("text", result)
    assert "|" not in out
    assert '  = hint: did you mean "payment"?' in out


def test_caret_past_end_of_line():
    assert layout("ab", 2, token_end("ab", 2)) == ("ab", 2, 1)


@pytest.mark.parametrize(("line", "col", "end"), [
    ("goto: paymnt", 0, 4),          # stops before the key's colon
    ("url: http://x y", 5, 13),      # a colon inside a word is kept
    ("a: 'it''s' x", 3, 10),         # quoted scalar with an escaped quote
    ('a: "q\\"x" y', 3, 9),
    ("[a, b]", 1, 2),
    ("a:  b", 2, 3),                 # whitespace: one caret
])
def test_token_end(line, col, end):
    assert token_end(line, col) == end


def test_layout_tabs_and_wide():
    shown, offset, width = layout("\t日x\tyz", 4, 6)
    assert shown == "    日x yz"  # the tab stops count the wide character as two cells
    assert (offset, width) == (8, 2)


def test_registry_and_auto_format(monkeypatch):
    assert set(REPORTERS) == {"text", "json", "github", "sarif", "junit"}
    for name in REPORTERS:
        assert callable(get_reporter(name))
    with pytest.raises(ValueError):
        get_reporter("xml")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert auto_format(None) == "github"
    monkeypatch.setenv("GITHUB_ACTIONS", "false")
    assert auto_format(None) == "text"
    monkeypatch.delenv("GITHUB_ACTIONS")
    assert auto_format(None) == "text"
