"""JUnit XML output, for CI systems that show test reports.

One ``<testsuite name="flowctl lint">`` with a ``<testcase>`` per file checked.  A file
with errors or warnings fails with a ``<failure>`` listing them; infos don't fail.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, TextIO

from flowctl.model.problem import Problem, Severity
from flowctl.report import ReportOptions
from flowctl.report._common import by_file, heading, plural

if TYPE_CHECKING:
    from flowctl.lint.runner import LintResult

SUITE_NAME = "flowctl lint"
CLASSNAME = "flowctl.lint"
FAILING = (Severity.ERROR, Severity.WARNING)


def _line(problem: Problem) -> str:
    span = problem.span
    text = f"{span.line}:{span.column} {heading(problem)} {problem.message}"
    if problem.hint:
        text += f" (hint: {problem.hint})"
    return text


def build(result: LintResult) -> ET.Element:
    grouped = dict(by_file(result))
    files = list(dict.fromkeys([*result.files, *sorted(grouped)]))
    suite = ET.Element("testsuite", name=SUITE_NAME)
    failures = 0
    for file in files:
        case = ET.SubElement(suite, "testcase", classname=CLASSNAME, name=file)
        problems = grouped.get(file, [])
        failing = [p for p in problems if p.severity in FAILING]
        if failing:
            failures += 1
            failure = ET.SubElement(case, "failure",
                                    message=plural(len(failing), "problem"), type="lint")
            failure.text = "\n".join(_line(p) for p in failing)
        infos = [p for p in problems if p.severity not in FAILING]
        if infos:
            out = ET.SubElement(case, "system-out")
            out.text = "\n".join(_line(p) for p in infos)
    suite.set("tests", str(len(files)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", "0")
    return suite


def report(result: LintResult, out: TextIO, options: ReportOptions) -> None:
    suite = build(result)
    ET.indent(suite)
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(ET.tostring(suite, encoding="unicode"))
    out.write("\n")
