"""``flowctl render``."""

from __future__ import annotations

import json
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Any

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
                                      "'-' or none prints the text (DOT, Mermaid or SVG)."),
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
    from flowctl.cli.failure import fail
    from flowctl.errors import ConfigError, FlowctlError

    try:
        _run(target, output, format.value, coverage, lint, project_map)
    except FlowctlError as error:
        fail(error)
    except OSError as error:
        fail(ConfigError(f"cannot write {output}: {error.strerror or error}"))


def _pick_format(fmt: str, output: str | None, many: bool) -> str:
    """The format: given, or from the suffix of ``-o``; a suffix that contradicts ``--format``
    is an error (an SVG written into ``x.png`` helps nobody)."""
    from flowctl.errors import ConfigError
    from flowctl.render import SUFFIXES

    to_file = output not in (None, "-") and not many
    suffix = Path(output or "").suffix.lower() if to_file else ""
    if fmt != "auto":
        if suffix in SUFFIXES and SUFFIXES[suffix] != fmt:
            raise ConfigError(f"--format {fmt} does not match the suffix of {output}",
                              hint=f"name the file *{suffix_of(fmt)} or drop --format")
        return fmt
    if not to_file:
        return "dot"
    if suffix not in SUFFIXES:
        raise ConfigError(f"cannot tell the format from '{output}'",
                          hint="use a suffix .dot, .gv, .svg, .png, .pdf, .mmd or .mermaid, "
                          "or give --format")
    return SUFFIXES[suffix]


def suffix_of(fmt: str) -> str:
    from flowctl.render import EXTENSIONS

    return EXTENSIONS[fmt]


def _read_coverage(path: Path) -> Any:
    from flowctl.errors import ConfigError
    from flowctl.render import read_coverage

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"coverage file not found: {path}",
                          hint="write one with `flowctl simulate --coverage-file FILE`") from None
    except (OSError, ValueError) as error:
        raise ConfigError(f"cannot read coverage file {path}: {error}") from None
    return read_coverage(data, str(path))


def _flows(project: Any, target: Path | None, flow_id: str | None, paths: list[Path]) -> list[Any]:
    """The flows asked for: one by id, or those of the files ``paths`` (the files of the
    targets given)."""
    from flowctl.errors import ConfigError
    from flowctl.loader.project import display_path

    if flow_id is not None:
        flow = project.flow(flow_id)
        if flow is None:
            ids = sorted({f.id for f in project.flows if f.id})
            known = ", ".join(ids[:12]) + (f" and {len(ids) - 12} more" if len(ids) > 12 else "")
            raise ConfigError(f"unknown flow '{flow_id}'",
                              hint=f"flows of this project: {known or 'none'}")
        return [flow]
    wanted = {display_path(p) for p in paths}
    flows = [f for f in project.flows if display_path(Path(f.file)) in wanted or f.file in wanted]
    if not flows:
        _refuse_broken(project, wanted)
        raise ConfigError("no flow to render" + (f" in {target}" if target else ""),
                          hint="give a *.flow.yaml file, a folder of flows or a flow id")
    _refuse_broken(project, {flow.file for flow in flows})
    return flows


def _run(target: Path | None, output: str | None, fmt: str, coverage: Path | None,
         lint: bool, project_map: bool) -> None:
    from flowctl.errors import ConfigError
    from flowctl.files import output_path
    from flowctl.loader.project import load_project
    from flowctl.render import apply_coverage, apply_lint, flow_diagram, project_diagram

    if output is not None and output != "-":
        output_path(output)  # `-o ""` is an error, not the current folder
    if project_map and (lint or coverage is not None):
        raise ConfigError("--lint and --coverage draw on flows, not on the project map",
                          hint="render one flow (or a folder) with them, without --project")
    flow_id: str | None = None
    paths: list[Path] = []
    if target is not None:
        if target.exists():
            paths = [target]
        elif "/" in str(target) or str(target).endswith((".yaml", ".yml")):
            raise ConfigError(f"no such file or directory: {target}")
        else:
            flow_id = str(target)
    counts = _read_coverage(coverage) if coverage is not None else None
    project, requested = load_project(paths)
    inputs = {Path(name).resolve() for name in project.sources}
    if coverage is not None:
        inputs.add(coverage.resolve())
    if project_map:
        _write([("project", project_diagram(project))], output, fmt, False, inputs)
        return
    flows = _flows(project, target, flow_id, requested)
    diagrams = [(flow.id, flow_diagram(flow)) for flow in flows]
    if lint:
        from flowctl.lint.runner import lint_project

        result = lint_project(project, sorted({f.file for f in flows}))
        for _, diagram in diagrams:
            apply_lint(diagram, result.problems)
    if counts is not None:
        for name, diagram in diagrams:
            if name in counts:
                apply_coverage(diagram, counts[name])
            else:
                typer.echo(f"note: {coverage} has no coverage for flow '{name}'", err=True)
    into_folder = output is not None and (output.endswith(("/", "\\")) or Path(output).is_dir())
    _write(diagrams, output, fmt, len(diagrams) > 1 or into_folder, inputs)


def _write(diagrams: list[tuple[str, Any]], output: str | None, fmt: str, many: bool,
           inputs: set[Path]) -> None:
    """Write each diagram: to stdout (text formats), to one file, or one file per flow into
    the folder ``output``; never over one of the ``inputs`` (the files read)."""
    from flowctl.errors import ConfigError
    from flowctl.files import write_output
    from flowctl.loader.project import display_path
    from flowctl.render import EXTENSIONS, SUFFIXES, render

    to_stdout = output in (None, "-")
    if many and not to_stdout and Path(output or "").suffix.lower() in SUFFIXES:
        raise ConfigError(f"{len(diagrams)} flows to draw, one file given: {output}",
                          hint="give a folder with -o (and --format), or one flow")
    chosen = _pick_format(fmt, output, many)
    if to_stdout:
        if chosen in ("png", "pdf"):
            raise ConfigError(f"{chosen} is binary: give a file with -o",
                              hint="or print text with --format dot, svg or mermaid")
        if len(diagrams) > 1 and chosen != "dot":
            raise ConfigError(f"{len(diagrams)} flows cannot share one {chosen} document",
                              hint="give a folder with -o, or one flow")
        for _, diagram in diagrams:
            sys.stdout.write(render(diagram, chosen).decode("utf-8"))
        return
    assert output is not None
    if many:
        folder = Path(output)
        if folder.exists() and not folder.is_dir():
            raise ConfigError(f"{output} is a file: give a folder with -o to render several flows")
        folder.mkdir(parents=True, exist_ok=True)
        targets = [(folder / f"{name}{EXTENSIONS[chosen]}", diagram) for name, diagram in diagrams]
    else:
        targets = [(Path(output), diagrams[0][1])]
    for path, _ in targets:
        if path.resolve() in inputs:
            raise ConfigError(f"-o {display_path(path)} is an input file: it would be overwritten",
                              hint="give another file name for the diagram")
    for path, diagram in targets:
        write_output(path, render(diagram, chosen))
        typer.echo(f"wrote {display_path(path)}", err=True)


def _refuse_broken(project: Any, files: set[str]) -> None:
    """A flow that does not load cleanly (schema errors: blocks left out) or has two blocks
    with one id would be drawn wrong: print its errors like `flowctl lint` does, exit 2."""
    from flowctl.errors import ConfigError
    from flowctl.lint.runner import LintResult, lint_project
    from flowctl.model.problem import Severity
    from flowctl.report import ReportOptions, get_reporter

    loaded_badly = any(p.severity >= Severity.ERROR and p.span.file in files
                       for p in project.load_problems)
    repeated_ids = any(len(f.by_id) < len(f.blocks) for f in project.flows if f.file in files)
    if not (loaded_badly or repeated_ids):  # the common case: no need to load the rules
        return
    result = lint_project(project, sorted(files), select=["S", "G001"])
    errors = [p for p in result.problems if p.severity >= Severity.ERROR and p.span.file in files]
    if not errors:
        return
    colour = sys.stderr.isatty() and not os.environ.get("NO_COLOR")
    get_reporter("text")(LintResult(errors, sorted(files), project.sources), sys.stderr,
                         ReportOptions(color=colour))
    raise ConfigError("the flow does not load cleanly, so its diagram would be wrong",
                      hint="fix the problems above (`flowctl lint` lists every problem)")


def register(app: typer.Typer) -> None:
    app.command("render")(render)
