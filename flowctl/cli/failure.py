"""How a command gives up: the error and its hint on stderr, exit code 2, no traceback."""

from __future__ import annotations

from typing import NoReturn

import typer

from flowctl.errors import FlowctlError


def fail(error: FlowctlError) -> NoReturn:
    typer.echo(f"flowctl: error: {error.message}", err=True)
    if error.hint:
        typer.echo(f"  hint: {error.hint}", err=True)
    raise typer.Exit(2)
