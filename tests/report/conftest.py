from __future__ import annotations

import io
from collections.abc import Callable

import pytest

from flowctl.lint.runner import LintResult
from flowctl.model.problem import Problem, Severity
from flowctl.model.span import SourceSpan
from flowctl.report import ReportOptions, get_reporter

FLOW = "flows/a.flow.yaml"
OTHER = "flows/b.flow.yaml"
CLEAN = "flows/clean.flow.yaml"

SOURCE_A = (
    "flow: a\n"
    "blocks:\n"
    "\tname: ü日 paymnt\n"
    "  - {id: x, text: \"héllo, wörld\"}\n"
)


def problem(message: str, file: str, line: int, column: int, code: str, name: str,
            severity: Severity = Severity.ERROR, hint: str | None = None) -> Problem:
    return Problem(message, SourceSpan(file, line, column), code, name, severity, hint)


@pytest.fixture
def result() -> LintResult:
    return LintResult(
        problems=[
            problem("text is long", FLOW, 4, 19, "X005", "message-too-long", Severity.WARNING),
            problem('unknown target "paymnt"', FLOW, 3, 11, "G002", "unknown-target",
                    hint='did you mean "payment"?'),
            problem("no escalation path", OTHER, 1, 1, "X002", "no-escalation-path",
                    Severity.INFO),
        ],
        files=[FLOW, OTHER, CLEAN],
        sources={FLOW: SOURCE_A, OTHER: "flow: b\n"},
    )


@pytest.fixture
def empty() -> LintResult:
    return LintResult(problems=[], files=[FLOW, CLEAN], sources={FLOW: SOURCE_A})


@pytest.fixture
def render() -> Callable[..., str]:
    def run(fmt: str, result: LintResult, **options: object) -> str:
        out = io.StringIO()
        get_reporter(fmt)(result, out, ReportOptions(**options))  # type: ignore[arg-type]
        return out.getvalue()

    return run
