"""The options the commands that talk to a runtime share (publish, status, revisions,
rollback): which project, which target, which output format."""

from __future__ import annotations

from enum import Enum

import typer


class Format(str, Enum):
    text = "text"
    json = "json"


PROJECT_PATH = typer.Argument(None, help="The project's folder, or any path inside it "
                              "(default: the working directory).")
TARGET = typer.Option(None, "--target", "-t", help="A target of flowctl.yaml `targets`, or a "
                      "runtime's URL (default: the only target, else `local`, else "
                      "http://127.0.0.1:8787).")
FORMAT = typer.Option(Format.text, "--format", "-f", help="Output format.")
