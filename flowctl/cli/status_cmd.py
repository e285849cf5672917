"""``flowctl status``."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from flowctl.cli.runtime_options import FORMAT, PROJECT_PATH, TARGET, Format


def status(
    path: Path | None = PROJECT_PATH,
    target: str | None = TARGET,
    format: Format = FORMAT,
) -> None:
    """Show the deployed revision and which local flows differ from it.

    Flows are compared by the hash of their file: changed, only local (not deployed) and only
    deployed (deleted here). Exit code 0 whether or not they differ, 2 for a usage,
    connection or token error.

    Examples:

      flowctl status

      flowctl status flows/ --target production --format json
    """
    from flowctl.cli.failure import fail
    from flowctl.client.report import status_json, status_text
    from flowctl.client.workflow import status as run_status
    from flowctl.errors import FlowctlError

    try:
        report = run_status(path, target)
    except FlowctlError as error:
        fail(error)
    (status_json if format == Format.json else status_text)(report, sys.stdout)


def register(app: typer.Typer) -> None:
    app.command("status")(status)
