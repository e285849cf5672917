"""Reporters for ``flowctl simulate``: text, JSON and JUnit XML.  Only reporters print."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TextIO
from xml.etree import ElementTree as ET

from flowctl.report.text import Line, write_lines
from flowctl.simulate.coverage import Coverage
from flowctl.simulate.runner import SimulationResult, VisitorResult

PASS, FAIL = "✓", "✗"


@dataclass
class SimulateOptions:
    color: bool = False
    verbose: bool = False
    min_coverage: float | None = None


def _location(v: VisitorResult) -> str:
    return f"{v.file}:{v.span.line}"


def summary_line(result: SimulationResult) -> str:
    return f"{result.passed} passed, {result.failed} failed"


def _transcript(v: VisitorResult) -> list[Line]:
    lines: list[Line] = []
    for turn in v.transcript:
        who = {"bot": "bot:", "you": "you:", "time": "time:", "agents": "agents:"}.get(
            turn.who, f"{turn.who}:")
        line: Line = [("    ", None), (who, "bold" if turn.who == "you" else "cyan"),
                      (" " + turn.text, None)]
        if turn.block:
            line.append((f" [{turn.block}]", "dim"))
        lines.append(line)
    state = v.state
    if state is not None:
        end = (f"ended at '{state.block}' with outcome '{state.outcome}'" if state.ended
               else f"waiting at '{state.block}'")
        lines.append([(f"    ({end}; path: {' > '.join(v.path)})", "dim")])
    if v.would_start is False:
        lines.append([("    (note: the flow's start condition would not have held for this "
                       "visitor)", "dim")])
    return lines


def render_lines(result: SimulationResult, coverage: Coverage | None,
                 options: SimulateOptions) -> list[Line]:
    lines: list[Line] = []
    for v in result.visitors:
        mark, style = (PASS, "bold green") if v.passed else (FAIL, "bold red")
        lines.append([(mark, style), (f" {_location(v)} ", "dim"), (v.name, None)])
        for failure in v.failures:
            lines.append([(f"    {failure.span.file}:{failure.line}:{failure.column}: ", "dim"),
                          (failure.message, "red")])
            for diff_line in failure.diff.splitlines():
                diff_style = ("green" if diff_line.startswith("+") else
                              "red" if diff_line.startswith("-") else
                              "dim" if diff_line.startswith("@@") else None)
                lines.append([("      " + diff_line, diff_style)])
        if options.verbose:
            lines.extend(_transcript(v))
    if coverage is not None and coverage.flows:
        lines.append([])
        lines.extend(coverage_lines(coverage, options))
    lines.append([])
    ok = result.failed == 0
    lines.append([(summary_line(result), "bold green" if ok else "bold red")])
    return lines


def coverage_lines(coverage: Coverage, options: SimulateOptions) -> list[Line]:
    width = max([len("flow")] + [len(fid) for fid in coverage.flows])
    lines: list[Line] = [[(f"{'flow':<{width}}  {'edges':>9}  {'blocks':>9}  {'cover':>6}",
                           "bold")]]
    for fid, fc in coverage.flows.items():
        low = options.min_coverage is not None and fc.percent < options.min_coverage
        lines.append([(f"{fid:<{width}}  {f'{fc.covered_edges}/{fc.total_edges}':>9}  "
                       f"{f'{fc.covered_blocks}/{len(fc.blocks)}':>9}  ", None),
                      (f"{fc.percent:>5.1f}%", "bold red" if low else None)])
        for edge in fc.uncovered:
            lines.append([(f"    not covered: {edge.span.file}:{edge.span.line}:"
                           f"{edge.span.column} {edge.key}", "dim")])
    return lines


def report_text(result: SimulationResult, coverage: Coverage | None, out: TextIO,
                options: SimulateOptions) -> None:
    write_lines(render_lines(result, coverage, options), out, options.color)


def to_json(result: SimulationResult, coverage: Coverage | None) -> dict[str, Any]:
    visitors = []
    for v in result.visitors:
        visitors.append({
            "file": v.file,
            "line": v.span.line,
            "name": v.name,
            "passed": v.passed,
            "failures": [{"message": f.message, "file": f.span.file, "line": f.line,
                          "column": f.column, "diff": f.diff} for f in v.failures],
            "flow": v.flow,
            "would_start": v.would_start,
            "outcome": v.outcome,
            "path": v.path,
            "transcript": [{"who": t.who, "text": t.text, "block": t.block}
                           for t in v.transcript],
        })
    return {
        "version": 1,
        "visitors": visitors,
        "summary": {"passed": result.passed, "failed": result.failed},
        "coverage": coverage.to_json() if coverage is not None else {"version": 1, "flows": {}},
    }


def report_json(result: SimulationResult, coverage: Coverage | None, out: TextIO,
                options: SimulateOptions) -> None:
    json.dump(to_json(result, coverage), out, indent=2, ensure_ascii=False)
    out.write("\n")


def junit_xml(result: SimulationResult) -> str:
    suites = ET.Element("testsuites", name="flowctl simulate",
                        tests=str(len(result.visitors)), failures=str(result.failed))
    for file_result in result.files:
        failed = sum(1 for v in file_result.visitors if not v.passed)
        suite = ET.SubElement(suites, "testsuite", name=file_result.file,
                              tests=str(len(file_result.visitors)), failures=str(failed),
                              errors="0", skipped="0")
        for v in file_result.visitors:
            case = ET.SubElement(suite, "testcase", classname=file_result.file, name=v.name,
                                 file=v.file, line=str(v.span.line))
            if v.failures:
                first = v.failures[0]
                failure = ET.SubElement(case, "failure",
                                        message=first.message, type="VisitorFailure")
                failure.text = "\n\n".join(
                    f"{f.span.file}:{f.line}:{f.column}: {f.message}"
                    + (f"\n{f.diff}" if f.diff else "") for f in v.failures)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
