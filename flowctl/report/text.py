"""Compiler-style text output, like rustc or ruff.

::

    flows/booking.flow.yaml:3:11: error[G002]: unknown target "paymnt"
      |
    3 |     goto: paymnt
      |           ^^^^^^
      = hint: did you mean "payment"?

Problems are grouped by file and sorted; a summary line ends the report.  Columns count
code points (as the loader does); tabs are expanded and wide characters take two cells so
that the caret stays under the token.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING, Any, TextIO

from flowctl.model.problem import Problem, Severity
from flowctl.report import ReportOptions
from flowctl.report._common import by_file, heading, source_line, summary_line

if TYPE_CHECKING:
    from flowctl.lint.runner import LintResult

TAB_SIZE = 4
SOURCE_MAX = 160  # code points of a source line shown under a problem

SEVERITY_STYLES = {Severity.ERROR: "bold red", Severity.WARNING: "bold yellow",
                   Severity.INFO: "bold blue"}
GUTTER_STYLE = "dim"
HINT_STYLE = "cyan"

# One output line: a list of (text, style) pieces; style None is unstyled.
Line = list[tuple[str, str | None]]

_STOP = frozenset(",[]{}")


def char_width(ch: str) -> int:
    """Terminal cells taken by one character."""
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 2
    return 1


def token_end(line: str, start: int) -> int:
    """Index just past the token (word, quoted scalar) that starts at ``start``."""
    if start >= len(line):
        return start + 1
    first = line[start]
    if first in "\"'":
        i = start + 1
        while i < len(line):
            ch = line[i]
            if first == '"' and ch == "\\":
                i += 2
                continue
            if ch == first:
                if first == "'" and i + 1 < len(line) and line[i + 1] == "'":
                    i += 2
                    continue
                return i + 1
            i += 1
        return len(line)
    if first.isspace() or first in _STOP:
        return start + 1
    i = start
    while i < len(line):
        ch = line[i]
        if ch.isspace() or ch in _STOP:
            break
        if ch == ":" and (i + 1 == len(line) or line[i + 1].isspace()):
            break
        i += 1
    return max(i, start + 1)


def window(line: str, start: int, end: int) -> tuple[str, int, int]:
    """A long source line cut to SOURCE_MAX code points around ``start`` (``…`` where cut),
    with ``start`` and ``end`` moved to match: a 200 KB line is not printed whole."""
    if len(line) <= SOURCE_MAX:
        return line, start, end
    left = max(0, min(start, len(line)) - SOURCE_MAX // 4)
    right = min(len(line), left + SOURCE_MAX)
    left = max(0, right - SOURCE_MAX)  # near the end: as much of the line as fits
    head = "…" if left > 0 else ""
    tail = "…" if right < len(line) else ""
    shift = left - len(head)
    return head + line[left:right] + tail, start - shift, min(end, right) - shift


def layout(line: str, start: int, end: int) -> tuple[str, int, int]:
    """Expand tabs in ``line``; return it with the caret's offset and width in cells.

    ``start`` and ``end`` are 0-based code point indexes, ``end`` exclusive.
    """
    out: list[str] = []
    width = 0
    caret_start = caret_end = None
    for index, ch in enumerate(line):
        if index == start:
            caret_start = width
        if index == end:
            caret_end = width
        if ch == "\t":
            spaces = TAB_SIZE - width % TAB_SIZE
            out.append(" " * spaces)
            width += spaces
        elif unicodedata.category(ch) == "Cc":
            out.append(" ")  # other control characters would break the alignment
            width += 1
        else:
            out.append(ch)
            width += char_width(ch)
    if caret_start is None:  # at or past the end of the line
        caret_start = width + (start - len(line))
    if caret_end is None:
        caret_end = width + max(0, end - len(line))
    return "".join(out), caret_start, max(1, caret_end - caret_start)


def _problem_lines(result: LintResult, problem: Problem, options: ReportOptions) -> list[Line]:
    style = SEVERITY_STYLES[problem.severity]
    span = problem.span
    lines: list[Line] = [[
        (f"{span.file}:{span.line}:{span.column}:", "bold"),
        (" ", None),
        (heading(problem), style),
        (": ", None),
        (problem.message, "bold" if options.color else None),
    ]]
    if options.quiet:
        return lines
    text = source_line(result, problem)
    pad = " " * len(str(span.line))
    if text is not None:
        start = max(span.column - 1, 0)
        if problem.end_column is not None and problem.end_column > span.column:
            end = problem.end_column - 1
        else:
            end = token_end(text, start)
        shown, offset, width = layout(*window(text, start, end))
        lines.append([(f"{pad} |", GUTTER_STYLE)])
        lines.append([(f"{span.line} |", GUTTER_STYLE), (" " + shown if shown else "", None)])
        lines.append([(f"{pad} |", GUTTER_STYLE), (" " + " " * offset, None),
                      ("^" * width, style)])
    if problem.hint:
        hint_lines = problem.hint.splitlines() or [""]
        lines.append([(f"{pad} = ", GUTTER_STYLE), ("hint", HINT_STYLE),
                      (": " + hint_lines[0], None)])
        lines.extend([[(f"{pad}         " + more, None)] for more in hint_lines[1:]])
    if options.verbose and problem.name:
        lines.append([(f"{pad} = ", GUTTER_STYLE), ("rule", HINT_STYLE),
                      (f": {problem.name} (`flowctl rules {problem.code}` explains it)", None)])
    lines.append([])
    return lines


def _summary(result: LintResult) -> Line:
    text = summary_line(result)
    worst = result.worst
    if worst is None:
        return [(text, "bold green")]
    return [(text, SEVERITY_STYLES[worst])]


def render_lines(result: LintResult, options: ReportOptions) -> list[Line]:
    lines: list[Line] = []
    for _file, problems in by_file(result):
        for problem in problems:
            lines.extend(_problem_lines(result, problem, options))
    if options.quiet and result.problems:
        lines.append([])
    if options.verbose:
        for name in result.files:
            lines.append([(f"checked {name}", "dim")])
    lines.append(_summary(result))
    return lines


def report(result: LintResult, out: TextIO, options: ReportOptions) -> None:
    write_lines(render_lines(result, options), out, options.color)


def write_lines(lines: list[Line], out: TextIO, color: bool) -> None:
    """Write styled lines: plain text, or with rich's styles when ``color`` (rich is imported
    only then)."""
    if not color:
        for line in lines:
            out.write("".join(piece for piece, _style in line) + "\n")
        return
    from rich.console import Console
    from rich.text import Text

    console: Any = Console(file=out, force_terminal=True, color_system="standard",
                           highlight=False, soft_wrap=True)
    for line in lines:
        text = Text()
        for piece, style in line:
            text.append(piece, style=style or "")
        console.print(text)
