"""Machine-readable JSON output (``--format json``).

::

    {"version": 1,
     "problems": [{"file", "line", "column", "code", "rule", "severity", "message", "hint"}],
     "summary": {"errors", "warnings", "infos", "files"}}

Lines and columns are 1-based; problems are sorted by file, line and column.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, TextIO

from flowctl.report import ReportOptions
from flowctl.report._common import counts, sorted_problems

if TYPE_CHECKING:
    from flowctl.lint.runner import LintResult

VERSION = 1


def to_dict(result: LintResult) -> dict[str, Any]:
    problems = [
        {
            "file": p.span.file,
            "line": p.span.line,
            "column": p.span.column,
            "code": p.code,
            "rule": p.name,
            "severity": str(p.severity),
            "message": p.message,
            "hint": p.hint,
        }
        for p in sorted_problems(result)
    ]
    return {"version": VERSION, "problems": problems, "summary": counts(result)}


def report(result: LintResult, out: TextIO, options: ReportOptions) -> None:
    out.write(json.dumps(to_dict(result), indent=2, ensure_ascii=False) + "\n")
