"""Helpers shared by the reporters."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from flowctl.model.problem import Problem, Severity

if TYPE_CHECKING:
    from flowctl.lint.runner import LintResult

# The line breaks YAML (and so the loader's line numbers) knows.
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")

#: SARIF / GitHub level names per severity.
SARIF_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def sorted_problems(result: LintResult) -> list[Problem]:
    return sorted(result.problems, key=lambda p: p.sort_key)


def by_file(result: LintResult) -> Iterator[tuple[str, list[Problem]]]:
    """Problems grouped by file, files and problems sorted."""
    groups: dict[str, list[Problem]] = {}
    for problem in sorted_problems(result):
        groups.setdefault(problem.span.file, []).append(problem)
    for file in sorted(groups):
        yield file, groups[file]


def counts(result: LintResult) -> dict[str, int]:
    return {
        "errors": result.count(Severity.ERROR),
        "warnings": result.count(Severity.WARNING),
        "infos": result.count(Severity.INFO),
        "files": len(result.files),
    }


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def summary_line(result: LintResult) -> str:
    """``2 errors, 1 warning, 0 infos in 3 files`` or ``All checks passed: 3 files``."""
    c = counts(result)
    files = plural(c["files"], "file")
    if not result.problems:
        return f"All checks passed: {files}"
    return (f"{plural(c['errors'], 'error')}, {plural(c['warnings'], 'warning')}, "
            f"{plural(c['infos'], 'info')} in {files}")


def heading(problem: Problem) -> str:
    """``severity[CODE]`` (or just ``severity`` for a problem without a code)."""
    return f"{problem.severity}[{problem.code}]" if problem.code else str(problem.severity)


def source_line(result: LintResult, problem: Problem) -> str | None:
    """The text of the line a problem points at, without its line ending."""
    text = result.sources.get(problem.span.file)
    if text is None:
        return None
    lines = _LINE_BREAK.split(text)
    index = problem.span.line - 1
    if not 0 <= index < len(lines):
        return None
    return lines[index]
