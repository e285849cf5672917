"""``flowctl revisions``."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from flowctl.cli.runtime_options import FORMAT, PROJECT_PATH, TARGET, Format


def revisions(
    path: Path | None = PROJECT_PATH,
    target: str | None = TARGET,
    format: Format = FORMAT,
) -> None:
    """List the project's published revisions, newest first (* marks the active one).

    Exit code 0, or 2 for a usage, connection or token error.

    Examples:

      flowctl revisions

      flowctl revisions --target production --format json
    """
    from flowctl.cli.failure import fail
    from flowctl.client.report import revisions_json, revisions_text
    from flowctl.client.workflow import revisions as run_revisions
    from flowctl.errors import FlowctlError

    try:
        report = run_revisions(path, target)
    except FlowctlError as error:
        fail(error)
    (revisions_json if format == Format.json else revisions_text)(report, sys.stdout)


def register(app: typer.Typer) -> None:
    app.command("revisions")(revisions)
