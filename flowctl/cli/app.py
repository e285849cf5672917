"""The ``flowctl`` typer application.  Heavy imports live inside the commands."""

from __future__ import annotations

import gc
import os
import sys
from typing import NoReturn

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
        sys.stdout.flush()  # a full disk or a closed pipe is seen here, not at exit
    except FlowctlError as error:  # pragma: no cover - commands catch their own
        _give_up(error)
    except UnicodeEncodeError as error:
        _give_up(unencodable(error, getattr(sys.stdout, "encoding", None) or "?"))
    except BrokenPipeError:  # `flowctl lint | head -1`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(2)
    except OSError as error:  # the standard output itself: `flowctl lint > /dev/full`
        _give_up(FlowctlError(f"cannot write the output: {error.strerror or error}"))
    except KeyboardInterrupt:
        sys.exit(130)


def unencodable(error: UnicodeEncodeError, encoding: str) -> FlowctlError:
    """The message for output that the stream's encoding cannot represent."""
    character = error.object[error.start:error.end][:1]
    return FlowctlError(f"the output cannot be written in {encoding}: it has {character!a}, "
                        f"which {encoding} cannot represent",
                        hint="write UTF-8: set PYTHONIOENCODING=utf-8 (or PYTHONUTF8=1), or use "
                        "-o FILE where the command has it")


def _give_up(error: FlowctlError) -> NoReturn:
    try:
        fail(error)
    except typer.Exit as done:
        sys.exit(done.exit_code)
