"""The ``flowctl`` typer application.  Heavy imports live inside the commands."""

from __future__ import annotations

import gc
import sys

import typer

from flowctl import __version__
from flowctl.cli.failure import fail
from flowctl.errors import FlowctlError

app = typer.Typer(
    name="flowctl",
    help="Flows as code: lint, render, simulate and publish customer-chat automation flows.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"flowctl {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Flows as code: lint, render, simulate and publish customer-chat automation flows.

    Example: flowctl lint flows/
    """


def _register() -> None:
    from flowctl.cli import chat_cmd, init_cmd, lint_cmd, rules_cmd, simulate_cmd

    lint_cmd.register(app)
    simulate_cmd.register(app)
    rules_cmd.register(app)
    init_cmd.register(app)
    chat_cmd.register(app)
    __import__("flowctl.cli.render_cmd", fromlist=["register"]).register(app)
    __import__("flowctl.cli.diff_cmd", fromlist=["register"]).register(app)
    __import__("flowctl.cli.serve_cmd", fromlist=["register"]).register(app)
    for name in ("publish_cmd", "status_cmd", "revisions_cmd", "rollback_cmd"):
        __import__(f"flowctl.cli.{name}", fromlist=["register"]).register(app)


_register()


def main() -> None:
    gc.freeze()  # what import created lives as long as the process: never scan it again
    try:
        app()
    except FlowctlError as error:  # pragma: no cover - commands catch their own
        fail(error)
    except KeyboardInterrupt:
        sys.exit(130)
