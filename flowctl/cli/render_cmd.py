"""``flowctl render``."""

from __future__ import annotations

import json
import os
import sys
from enum import Enum
from pathlib import Path

import typer


class Format(str, Enum):
    auto = "auto"
    dot = "dot"
    svg = "svg"
    png = "png"
    pdf = "pdf"
    mermaid = "mermaid"


def render(
    target: Path | None = typer.Argument(None, help="A flow file, a folder of flows, or a flow id "
                                         "(default: the whole project)."),
    output: str | None = typer.Option(None, "--output", "-o",
                                      help="Output file (a folder when rendering several flows); "
                                      "'-' or none prints DOT or Mermaid text."),
    format: Format = typer.Option(Format.auto, "--format", "-f",
                                  help="dot, svg, png, pdf or mermaid; auto = from the suffix of "
                                  "-o (.dot/.gv, .svg, .png, .pdf, .mmd/.mermaid), dot otherwise."),
    coverage: Path | None = typer.Option(None, "--coverage",
                                         help="Coverage JSON from `flowctl simulate "
                                         "--coverage-file`: uncovered edges drawn red."),
    lint: bool = typer.Option(False, "--lint", help="Run lint and outline blocks with problems."),
    project_map: bool = typer.Option(False, "--project",
                                     help="Draw the project map: every flow, its start events and "
                                     "goto edges."),
) -> None:
    """Draw flows as diagrams: Graphviz DOT, SVG, PNG, PDF or Mermaid.

    SVG, PNG and PDF need Graphviz's `dot`; DOT and Mermaid text need nothing.
    Exit code 0 when written, 2 for a usage error.

    Examples:

      flowctl render flows/booking.flow.yaml -o booking.svg

      flowctl render flows/booking.flow.yaml --format mermaid     # to stdout

      flowctl render flows/ -o diagrams/ --format png             # one file per flow

      flowctl render lead-qualification --coverage coverage.json --lint -o lead.svg

      flowctl render --project -o map.svg
    """
    from flowctl.cli.app import fail
    from flowctl.errors import ConfigError, FlowctlError

    try:
        _run(target, output, format.value, coverage, lint, project_map)
    except FlowctlError as error:
        fail(error)
    except OSError as error:
        fail(ConfigError(f"cannot write {output}: {error.strerror or error}"))


def _pick_format(fmt: str, output: str | None, many: bool) -> str:
    from flowctl.errors import ConfigError
    from flowctl.render import SUFFIXES

    if fmt != "auto":
        return fmt
    if output in (None, "-") or many:
        return "dot"
    suffix = Path(output).suffix.lower()
    if suffix not in SUFFIXES:
        raise ConfigError(f"cannot tell the format from '{output}'",
                          hint="use a suffix .dot, .gv, .svg, .png, .pdf, .mmd or .mermaid, "
                          "or give --format")
    return SUFFIXES[suffix]


def _run(target: Path | None, output: str | None, fmt: str, coverage: Path | None,
         lint: bool, project_map: bool) -> None:
    from flowctl.errors import ConfigError
    from flowctl.loader.project import display_path, load_project
    from flowctl.model.problem import Severity
    from flowctl.render import (
        EXTENSIONS,
        apply_coverage,
        apply_lint,
        flow_diagram,
        project_diagram,
        render,
    )

    flow_id: str | None = None
    paths: list[Path] = []
    if target is not None:
        if target.exists():
            paths = [target]
        elif "/" in str(target) or str(target).endswith((".yaml", ".yml")):
            raise ConfigError(f"no such file or directory: {target}")
        else:
            flow_id = str(target)
    coverage_data = None
    if coverage is not None:
        try:
            coverage_data = json.loads(coverage.read_text(encoding="utf-8"))
        except FileNotFoundError as error:
            raise ConfigError(f"coverage file not found: {coverage}",
                              hint="write one with `flowctl simulate --coverage-file FILE`") from error
        except (OSError, ValueError) as error:
            raise ConfigError(f"cannot read coverage file {coverage}: {error}") from error
        if not isinstance(coverage_data, dict) or not isinstance(coverage_data.get("flows"), dict):
            raise ConfigError(f"{coverage} is not a flowctl coverage file (no 'flows' mapping)")

    project, requested = load_project(paths)
    wanted = {display_path(p) for p in requested}
    if project_map:
        flows = []
        diagrams = [("project", project_diagram(project))]
    else:
        if flow_id is not None:
            flow = project.flow(flow_id)
            if flow is None:
                ids = sorted({f.id for f in project.flows})
                known = ", ".join(ids[:12]) + (f" and {len(ids) - 12} more" if len(ids) > 12 else "")
                known = known or "none"
                raise ConfigError(f"unknown flow '{flow_id}'", hint=f"flows of this project: {known}")
            flows = [flow]
        else:
            flows = [f for f in project.flows if display_path(Path(f.file)) in wanted
                     or f.file in wanted]
        if not flows:
            broken = [p for p in project.load_problems if p.severity == Severity.ERROR
                      and p.span.file in wanted]
            if broken:
                first = broken[0]
                raise ConfigError(f"{first.span}: {first.message}",
                                  hint="`flowctl lint` lists every problem")
            raise ConfigError("no flow to render" + (f" in {target}" if target else ""),
                              hint="give a *.flow.yaml file, a folder of flows or a flow id")
        _refuse_broken(project, {flow.file for flow in flows})
        diagrams = [(flow.id, flow_diagram(flow)) for flow in flows]
    if lint and not project_map:
        from flowctl.lint.runner import lint_project

        result = lint_project(project, sorted({f.file for f in flows}))
        for _, diagram in diagrams:
            apply_lint(diagram, result.problems)
    if coverage_data is not None and not project_map:
        for name, diagram in diagrams:
            if not apply_coverage(diagram, coverage_data, name):
                typer.echo(f"note: {coverage} has no coverage for flow '{name}'", err=True)

    many = len(diagrams) > 1 or (target is not None and target.is_dir() and not project_map)
    chosen = _pick_format(fmt, output, many and output not in (None, "-"))
    if output in (None, "-"):
        if chosen not in ("dot", "mermaid"):
            raise ConfigError(f"{chosen} is binary: give a file with -o",
                              hint="or print text with --format dot or --format mermaid")
        for _, diagram in diagrams:
            sys.stdout.write(render(diagram, chosen).decode("utf-8"))
        return
    assert output is not None
    if many:
        folder = Path(output)
        if folder.exists() and not folder.is_dir():
            raise ConfigError(f"{output} is a file: give a folder with -o to render several flows")
        folder.mkdir(parents=True, exist_ok=True)
        for name, diagram in diagrams:
            path = folder / f"{name}{EXTENSIONS[chosen]}"
            path.write_bytes(render(diagram, chosen))
            typer.echo(f"wrote {display_path(path)}", err=True)
        return
    path = Path(output)
    data = render(diagrams[0][1], chosen)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    typer.echo(f"wrote {display_path(path)}", err=True)


def _refuse_broken(project: object, files: set[str]) -> None:
    """A flow that did not load cleanly (schema errors: blocks left out) would be drawn wrong:
    print its errors like `flowctl lint` does and stop with exit code 2."""
    from flowctl.errors import ConfigError
    from flowctl.lint.runner import LintResult
    from flowctl.model.problem import Severity
    from flowctl.model.project import Project
    from flowctl.report import ReportOptions, get_reporter

    assert isinstance(project, Project)
    errors = [p for p in project.load_problems if p.severity >= Severity.ERROR and p.span.file in files]
    if not errors:
        return
    colour = sys.stderr.isatty() and not os.environ.get("NO_COLOR")
    get_reporter("text")(LintResult(errors, sorted(files), project.sources), sys.stderr,
                         ReportOptions(color=colour))
    raise ConfigError("the flow does not load cleanly, so its diagram would be wrong",
                      hint="fix the problems above (`flowctl lint` lists every problem)")


def register(app: typer.Typer) -> None:
    app.command("render")(render)
