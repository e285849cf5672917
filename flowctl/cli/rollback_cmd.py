"""``flowctl rollback``."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from flowctl.cli.runtime_options import FORMAT, PROJECT_PATH, TARGET, Format


def rollback(
    to: int = typer.Option(..., "--to", min=1, help="The revision to make active again."),
    path: Path | None = PROJECT_PATH,
    target: str | None = TARGET,
    format: Format = FORMAT,
) -> None:
    """Make an earlier revision active again (nothing new is stored).

    New conversations start on it; running ones stay on the revision they started on.
    Exit code 0, or 2 for a usage, connection or token error, or a revision that does not
    exist.

    Examples:

      flowctl rollback --to 3

      flowctl rollback --to 3 --target production
    """
    from flowctl.cli.failure import fail
    from flowctl.client.report import rollback_json, rollback_text
    from flowctl.client.workflow import rollback as run_rollback
    from flowctl.errors import FlowctlError

    try:
        report = run_rollback(to, path, target)
    except FlowctlError as error:
        fail(error)
    (rollback_json if format == Format.json else rollback_text)(report, sys.stdout)


def register(app: typer.Typer) -> None:
    app.command("rollback")(rollback)
