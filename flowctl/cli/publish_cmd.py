"""``flowctl publish``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from flowctl.cli.runtime_options import FORMAT, PROJECT_PATH, TARGET, Format


def publish(
    path: Path | None = PROJECT_PATH,
    target: str | None = TARGET,
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the plan; publish nothing."),
    no_tests: bool = typer.Option(False, "--no-tests", help="Skip the simulate gate (the "
                                  "visitors files)."),
    message: str | None = typer.Option(None, "--message", "-m", help="The revision's message "
                                       "(default: the subject of the HEAD commit)."),
    format: Format = FORMAT,
    color: bool | None = typer.Option(None, "--color/--no-color",
                                      help="Force colour on or off (default: on a terminal, "
                                      "unless NO_COLOR is set)."),
) -> None:
    """Publish the project to a runtime (`flowctl serve`) as a new revision.

    Runs the lint gate (no errors in flowctl.yaml and the flows) and the simulate gate (every
    visitor passes; --no-tests skips it), asks the runtime for the plan (flows added, changed,
    removed), then publishes. The token comes from the target (`token: "${NAME}"`), else
    FLOWCTL_TOKEN, else, for a local server, its .flowctl/admin-token.

    Exit code 0 when published (or nothing to publish), 1 when a gate failed or the runtime's
    lint refused the bundle, 2 for a usage, connection or token error.

    Examples:

      flowctl publish --dry-run

      flowctl publish flows/ --target production -m "new pricing flow"

      flowctl publish --target http://127.0.0.1:8787
    """
    from flowctl.cli.failure import fail
    from flowctl.client.report import JsonPublishReporter, TextPublishReporter
    from flowctl.client.workflow import PublishOptions, PublishReporter
    from flowctl.client.workflow import publish as run_publish
    from flowctl.errors import FlowctlError

    reporter: PublishReporter
    if format == Format.json:
        reporter = JsonPublishReporter(sys.stdout)
    else:
        use_color = color if color is not None else (
            sys.stdout.isatty() and not os.environ.get("NO_COLOR"))
        reporter = TextPublishReporter(sys.stdout, sys.stderr, color=bool(use_color))
    options = PublishOptions(path, target, dry_run, not no_tests, message)
    try:
        outcome = run_publish(options, reporter)
    except FlowctlError as error:
        fail(error)
    raise typer.Exit(1 if outcome.failed else 0)


def register(app: typer.Typer) -> None:
    app.command("publish")(publish)
