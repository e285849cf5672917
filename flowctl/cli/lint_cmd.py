"""``flowctl lint``."""

from __future__ import annotations

import io
import os
import sys
from enum import Enum
from pathlib import Path

import typer


class Format(str, Enum):
    auto = "auto"
    text = "text"
    json = "json"
    github = "github"
    sarif = "sarif"
    junit = "junit"


class FailOn(str, Enum):
    error = "error"
    warning = "warning"
    info = "info"
    never = "never"


def _split(values: list[str] | None) -> list[str]:
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


def lint(
    paths: list[Path] = typer.Argument(None, help="Flow, visitors or project files, or folders "
                                       "(default: the whole project)."),
    format: Format = typer.Option(Format.auto, "--format", "-f",
                                  help="Output format; auto = github under GitHub Actions, "
                                  "text otherwise."),
    output: Path | None = typer.Option(None, "--output", "-o",
                                       help="Write the report to this file instead of stdout."),
    select: list[str] = typer.Option(None, "--select", help="Only these rules (codes, "
                                     "prefixes such as G, or names; comma-separated)."),
    ignore: list[str] = typer.Option(None, "--ignore", help="Skip these rules."),
    fail_on: FailOn = typer.Option(FailOn.error, "--fail-on",
                                   help="Lowest severity that makes the exit code 1."),
    color: bool | None = typer.Option(None, "--color/--no-color",
                                      help="Force colour on or off (default: on a terminal, "
                                      "unless NO_COLOR is set)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="One line per problem, no source."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Also list the files checked."),
) -> None:
    """Check flows, visitors files and flowctl.yaml for mistakes.

    Exit code 0 when nothing at or above --fail-on was found, 1 when something was,
    2 for a usage error.

    Examples:

      flowctl lint                      # the whole project

      flowctl lint flows/booking.flow.yaml --format json

      flowctl lint --select G,R --ignore X005
    """
    from flowctl.cli.failure import fail
    from flowctl.errors import ConfigError, FlowctlError
    from flowctl.files import write_output
    from flowctl.lint.config import unknown_cli_keys
    from flowctl.lint.runner import lint_project
    from flowctl.loader.project import display_path, load_project
    from flowctl.model.problem import Severity
    from flowctl.report import ReportOptions, auto_format, get_reporter

    selected, ignored = _split(select), _split(ignore)
    unknown = unknown_cli_keys(selected + ignored)
    if unknown:
        fail(ConfigError(f"unknown rule: {', '.join(unknown)}",
                         hint="`flowctl rules` lists the codes and names"))
    try:
        project, requested = load_project(paths or [])
    except FlowctlError as error:
        fail(error)
    result = lint_project(project, [display_path(p) for p in requested],
                          select=selected or None, ignore=ignored or None)
    if project.config is None:
        result.notes.append(
            "no flowctl.yaml found: endpoints, departments, schedules and assistants "
            "were not checked (`flowctl init` creates one)"
        )
    chosen = format.value if format != Format.auto else auto_format(sys.stdout)
    buffer = io.StringIO()
    stream = buffer if output is not None else sys.stdout
    use_color = color if color is not None else (
        stream.isatty() and not os.environ.get("NO_COLOR") and chosen == "text")
    options = ReportOptions(color=bool(use_color), verbose=verbose, quiet=quiet)
    get_reporter(chosen)(result, stream, options)
    if output is not None:
        try:
            write_output(output, buffer.getvalue())
        except FlowctlError as error:
            fail(error)
    for note in result.notes:
        if not quiet:
            typer.echo(f"note: {note}", err=True)
    threshold = {"error": Severity.ERROR, "warning": Severity.WARNING,
                 "info": Severity.INFO}.get(fail_on.value)
    worst = result.worst
    if threshold is not None and worst is not None and worst >= threshold:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("lint")(lint)
