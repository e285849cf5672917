from __future__ import annotations

from flowctl.lint.runner import LintResult
from flowctl.model.problem import Severity

from .conftest import problem


def test_annotations(render, result):
    lines = render("github", result).splitlines()
    assert lines == [
        "::error file=flows/a.flow.yaml,line=3,col=11,title=G002 (unknown-target)"
        '::unknown target "paymnt"%0Ahint: did you mean "payment"?',
        "::warning file=flows/a.flow.yaml,line=4,col=19,title=X005 (message-too-long)"
        "::text is long",
        "::notice file=flows/b.flow.yaml,line=1,col=1,title=X002 (no-escalation-path)"
        "::no escalation path",
        "1 error, 1 warning, 1 info in 3 files",
    ]


def test_escaping(render):
    weird = "flows/a:b,c%.flow.yaml"
    result = LintResult(
        problems=[problem("100% wrong\r\nsecond: line, here", weird, 2, 5, "S003", "schema",
                          Severity.WARNING)],
        files=[weird],
    )
    first = render("github", result).splitlines()[0]
    assert first == (
        "::warning file=flows/a%3Ab%2Cc%25.flow.yaml,line=2,col=5,title=S003 (schema)"
        "::100%25 wrong%0D%0Asecond: line, here"
    )


def test_windows_paths_use_slashes(render):
    result = LintResult(problems=[problem("m", "flows\\x.flow.yaml", 1, 1, "G001", "dup")],
                        files=["flows\\x.flow.yaml"])
    assert render("github", result).startswith("::error file=flows/x.flow.yaml,")


def test_clean(render, empty):
    assert render("github", empty) == "All checks passed: 2 files\n"
