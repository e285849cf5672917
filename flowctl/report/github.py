"""GitHub Actions workflow commands: one annotation per problem.

``::error file=PATH,line=L,col=C,title=CODE (name)::message`` (``::warning``, ``::notice``
for infos), escaped as GitHub's runner expects, then a plain summary line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

from flowctl.model.problem import Problem, Severity
from flowctl.report import ReportOptions
from flowctl.report._common import sorted_problems, summary_line

if TYPE_CHECKING:
    from flowctl.lint.runner import LintResult

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    """Escape a command's message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a command property's value."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(problem: Problem) -> str:
    span = problem.span
    props = [
        ("file", span.file.replace("\\", "/")),
        ("line", str(span.line)),
        ("col", str(span.column)),
    ]
    if problem.end_column is not None and problem.end_column > span.column:
        props.append(("endColumn", str(problem.end_column)))
    if problem.code:
        title = f"{problem.code} ({problem.name})" if problem.name else problem.code
        props.append(("title", title))
    message = problem.message
    if problem.hint:
        message += f"\nhint: {problem.hint}"
    rendered = ",".join(f"{key}={escape_property(value)}" for key, value in props)
    return f"::{COMMANDS[problem.severity]} {rendered}::{escape_data(message)}"


def report(result: LintResult, out: TextIO, options: ReportOptions) -> None:
    for problem in sorted_problems(result):
        out.write(annotation(problem) + "\n")
    out.write(summary_line(result) + "\n")
