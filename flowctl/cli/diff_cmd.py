"""``flowctl diff``."""

from __future__ import annotations

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
    from flowctl.cli.app import fail
    from flowctl.diff.report import DiffReportOptions, report
    from flowctl.diff.semantic import diff_projects
    from flowctl.diff.sources import load_sides
    from flowctl.errors import FlowctlError

    try:
        sides = load_sides(base, head)
    except FlowctlError as error:
        fail(error)
    result = diff_projects(sides.before.flows, sides.after.flows)
    for note in sides.before.notes + sides.after.notes:
        typer.echo(f"note: {note}", err=True)
    stream = open(output, "w", encoding="utf-8") if output else sys.stdout  # noqa: SIM115
    try:
        use_color = color if color is not None else (
            stream.isatty() and not os.environ.get("NO_COLOR") and format == DiffFormat.text)
        options = DiffReportOptions(base=sides.before.label, head=sides.after.label,
                                    color=bool(use_color))
        report(result, stream, options, format.value)
    finally:
        if output:
            stream.close()
    if render is not None:
        from flowctl.diff.render import render_diff

        try:
            written = render_diff(result, sides.before.flows, sides.after.flows, render)
        except FlowctlError as error:
            fail(error)
        for path in written:
            typer.echo(f"wrote {path}", err=True)
    if exit_code and result.has_changes:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("diff")(diff)
