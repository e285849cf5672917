"""``flowctl simulate``."""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import Any

import typer

#: Rules whose errors make a simulation meaningless (broken files, unknown names).
BLOCKING_RULES = ["S", "C", "G001", "G002", "G006", "R006", "V004", "V005"]


class Format(str, Enum):
    text = "text"
    json = "json"


def simulate(
    paths: list[Path] = typer.Argument(None, help="Visitors files, flow files (their visitors "
                                       "files run) or folders (default: the whole project)."),
    verbose: bool = typer.Option(False, "--verbose", "-v",
                                 help="Print the full transcript of every visitor."),
    format: Format = typer.Option(Format.text, "--format", "-f", help="Output format."),
    junit: Path | None = typer.Option(None, "--junit", help="Also write a JUnit XML report "
                                      "(one test case per visitor) to this file."),
    coverage_file: Path | None = typer.Option(None, "--coverage-file", help="Write edge and "
                                              "block coverage as JSON to this file (`flowctl "
                                              "render` can overlay it)."),
    min_coverage: float | None = typer.Option(None, "--min-coverage", min=0, max=100,
                                              help="Fail (exit 1) when a flow's edge coverage "
                                              "is under this percentage."),
    color: bool | None = typer.Option(None, "--color/--no-color",
                                      help="Force colour on or off (default: on a terminal, "
                                      "unless NO_COLOR is set)."),
    explore: bool = typer.Option(False, "--explore", help="Generate visitors that cover every "
                                 "edge with few paths, and check invariants on each path."),
    write: Path | None = typer.Option(None, "--write", help="With --explore: save the generated "
                                      "visitors as <flow>.explore.visitors.yaml in this folder."),
    max_paths: int = typer.Option(200, "--max-paths", min=1, help="With --explore: at most this "
                                  "many visitors per flow."),
    max_moves: int = typer.Option(200, "--max-moves", min=1, help="With --explore: at most this "
                                  "many visitor actions per path."),
    unroll: int = typer.Option(2, "--unroll", min=1, help="With --explore: how often a path may "
                               "enter the same block (loop unrolling)."),
    max_messages: int = typer.Option(5, "--max-messages", min=1, help="With --explore: bot "
                                     "messages allowed in a row without a chance to reply."),
    max_states: int = typer.Option(5000, "--max-states", min=1, help="With --explore: stop "
                                   "after this many distinct conversation states per flow "
                                   "(states equivalent for the flow's future count once)."),
    time_limit: float = typer.Option(20.0, "--time-limit", min=0.1, help="With --explore: stop "
                                     "exploring a flow after this many seconds."),
) -> None:
    """Run the virtual visitors of *.visitors.yaml against the flows, offline.

    Every endpoint and assistant answer is mocked by the script; the clock is scripted
    (a visitor without `now` runs at 2026-01-05 10:00, a Monday, in the project's time
    zone). Exit code 0 when every visitor passes, 1 when one fails or coverage is under
    --min-coverage, 2 when a visitors file or flow is broken (printed like `flowctl lint`).

    Examples:

      flowctl simulate                      # the whole project

      flowctl simulate flows/booking.visitors.yaml -v

      flowctl simulate --junit reports/visitors.xml --min-coverage 80

      flowctl simulate flows/booking.flow.yaml --explore --write generated/
    """
    from flowctl.cli.failure import fail
    from flowctl.errors import FlowctlError
    from flowctl.files import write_output
    from flowctl.loader.project import load_project
    from flowctl.simulate.report import SimulateOptions, junit_xml, report_json, report_text
    from flowctl.simulate.runner import run_project
    from flowctl.simulate.selection import Selection

    try:
        project, requested = load_project(paths or [])
    except FlowctlError as error:
        fail(error)
    chosen = Selection.of(project, requested, whole=not paths)

    use_color = color if color is not None else (
        sys.stdout.isatty() and not os.environ.get("NO_COLOR") and format == Format.text)
    if _broken(project, set(chosen.asked), bool(use_color), format.value):
        raise typer.Exit(2)
    if explore:
        from flowctl.simulate.explore import Limits

        targets = chosen.explore_targets(project)
        limits = Limits(max_paths=max_paths, max_moves=max_moves, max_visits=unroll,
                        max_messages=max_messages, max_states=max_states,
                        time_limit=time_limit)
        raise typer.Exit(_explore(project, targets, limits, write, format.value))
    if not chosen.files:
        typer.echo("flowctl: error: no visitors files to run", err=True)
        typer.echo("  hint: write scripted visitors in a *.visitors.yaml file next to the flow",
                   err=True)
        raise typer.Exit(2)

    result = run_project(project, chosen.files)
    coverage = chosen.coverage(project, result)

    options = SimulateOptions(color=bool(use_color), verbose=verbose, min_coverage=min_coverage)
    if format == Format.json:
        report_json(result, coverage, sys.stdout, options)
    else:
        report_text(result, coverage, sys.stdout, options)
    try:
        if junit is not None:
            write_output(junit, junit_xml(result))
        if coverage_file is not None:
            import json

            write_output(coverage_file, json.dumps(coverage.to_json(), indent=2) + "\n")
    except FlowctlError as error:
        fail(error)

    code = 1 if result.failed else 0
    if min_coverage is not None:
        under = coverage.under(min_coverage)
        if under:
            names = ", ".join(f"{fc.flow.id} ({fc.percent:.1f}%)" for fc in under)
            typer.echo(f"coverage under {min_coverage:g}%: {names}", err=True)
            code = 1
    raise typer.Exit(code)


def _explore(project: Any, flows: list[Any], limits: Any, write: Path | None,
             chosen: str) -> int:
    from flowctl.cli.failure import fail
    from flowctl.errors import FlowctlError
    from flowctl.simulate.explore import explore_flows
    from flowctl.simulate.explore.report import report_json, report_text, write_visitors

    results = explore_flows(project, flows, limits)
    (report_json if chosen == "json" else report_text)(results, sys.stdout)
    if write is not None:
        try:
            for result, _ in results:
                schema = os.path.relpath(Path(__file__).resolve().parents[1] / "schemas"
                                         / "visitors.schema.json", write.resolve())
                target = write_visitors(result, write, schema)
                typer.echo(f"wrote {target}", err=True)
        except FlowctlError as error:
            fail(error)
    return 1 if any(r.violations for r, _ in results) else 0


def _broken(project: object, asked: set[str], color: bool, chosen: str) -> bool:
    """Print the blocking problems of the flows, flowctl.yaml and the visitors files asked
    for; True if any."""
    from flowctl.lint.runner import LintResult, lint_project
    from flowctl.model.problem import Severity
    from flowctl.model.project import Project
    from flowctl.report import ReportOptions, get_reporter

    assert isinstance(project, Project)
    from flowctl.loader.project import kind_of

    checked = [name for name in project.sources
               if kind_of(Path(name)) != "visitors" or name in asked]
    result = lint_project(project, checked, select=BLOCKING_RULES)
    errors = [p for p in result.problems if p.severity >= Severity.ERROR]
    if not errors:
        return False
    broken = LintResult(errors, result.files, result.sources)
    # JSON consumers get the lint report's JSON (`{"version": 1, "problems": [...]}`)
    get_reporter("json" if chosen == "json" else "text")(broken, sys.stdout,
                                                         ReportOptions(color=color))
    typer.echo("flowctl: error: fix the problems above before simulating", err=True)
    return True


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate)
