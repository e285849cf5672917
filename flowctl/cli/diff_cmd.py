"""``flowctl diff``."""

from __future__ import annotations

import io
import os
import sys
from enum import Enum
from pathlib import Path

import typer


class DiffFormat(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"


def diff(
    base: str | None = typer.Argument(None, metavar="[BASE]",
                                      help="A git revision (default: HEAD), or a flow file or "
                                      "folder when HEAD is one too."),
    head: str | None = typer.Argument(None, metavar="[HEAD]",
                                      help="A git revision, or a flow file or folder "
                                      "(default: the working tree)."),
    format: DiffFormat = typer.Option(DiffFormat.text, "--format", "-f", help="Output format."),
    output: Path | None = typer.Option(None, "--output", "-o",
                                       help="Write the report to this file instead of stdout."),
    exit_code: bool = typer.Option(False, "--exit-code",
                                   help="Exit with 1 when there are changes (like git diff)."),
    render: Path | None = typer.Option(None, "--render", metavar="DIR",
                                       help="Write before and after diagrams of every changed "
                                       "flow to DIR, changes highlighted."),
    color: bool | None = typer.Option(None, "--color/--no-color",
                                      help="Force colour on or off (default: on a terminal, "
                                      "unless NO_COLOR is set)."),
) -> None:
    """Show what a change does to the flows: blocks, fields, edges and start conditions.

    Without arguments, the working tree against HEAD; with one revision, that revision
    against the working tree; with two, one revision against the other.  Two flow files or
    folders are compared directly.  A block renamed together with its references is reported
    as a rename; a block moved is reported when what falls through to or from it changed.

    Exit code 0 (1 with --exit-code when something changed), 2 for an error.

    Examples:

      flowctl diff                             # working tree against HEAD

      flowctl diff origin/main --format markdown > diff.md

      flowctl diff old/booking.flow.yaml flows/booking.flow.yaml
    """
    from flowctl.cli.failure import fail
    from flowctl.errors import FlowctlError

    try:
        changed, unreadable = _run(base, head, format, output, render, color)
    except FlowctlError as error:
        fail(error)
    if unreadable:
        raise typer.Exit(2)
    if exit_code and changed:
        raise typer.Exit(1)


def _run(base: str | None, head: str | None, format: DiffFormat, output: Path | None,
         render: Path | None, color: bool | None) -> tuple[bool, bool]:
    """Compare, report, draw; returns (anything changed, some file could not be read)."""
    from flowctl.diff.report import DiffReportOptions, report
    from flowctl.diff.semantic import diff_sides
    from flowctl.diff.sources import load_sides
    from flowctl.errors import ConfigError
    from flowctl.files import write_output
    from flowctl.model.problem import Severity

    if render is not None and render.exists() and not render.is_dir():
        raise ConfigError(f"--render {render}: is a file, not a folder")
    sides = load_sides(base, head)
    result = diff_sides(sides.before, sides.after)
    problems = [(p, side.label) for side in (sides.before, sides.after) for p in side.problems]
    for problem, label in problems:
        level = "error" if problem.severity >= Severity.ERROR else "warning"
        typer.echo(f"{problem.span}: {level}: {problem.message} (in {label})", err=True)
    buffer = io.StringIO()
    stream = buffer if output is not None else sys.stdout
    use_color = color if color is not None else (
        stream.isatty() and not os.environ.get("NO_COLOR") and format == DiffFormat.text)
    options = DiffReportOptions(base=sides.before.label, head=sides.after.label,
                                color=bool(use_color))
    report(result, stream, options, format.value)
    if output is not None:
        write_output(output, buffer.getvalue())
    if render is not None:
        from flowctl.diff.render import render_diff

        written = render_diff(result, sides.before.flows, sides.after.flows, render)
        for path in written:
            typer.echo(f"wrote {path}", err=True)
        if any(path.suffix == ".dot" for path in written):
            typer.echo("note: Graphviz `dot` is not installed, so the diagrams are DOT text "
                       "(install graphviz for SVG)", err=True)
    unreadable = any(p.severity >= Severity.ERROR for p, _ in problems)
    if unreadable:
        typer.echo("flowctl: error: some flow files could not be read (above); their flows are "
                   "left out of the diff", err=True)
    return result.has_changes, unreadable


def register(app: typer.Typer) -> None:
    app.command("diff")(diff)
