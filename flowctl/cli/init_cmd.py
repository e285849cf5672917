"""``flowctl init``: scaffold a project from a template."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer


class TemplateName(str, Enum):
    lead_qualification = "lead-qualification"
    support_triage = "support-triage"
    feedback = "feedback"
    booking = "booking"
    onboarding = "onboarding"
    blank = "blank"


def init(
    directory: Path = typer.Argument(Path("."), help="Where to create the project."),
    template: TemplateName = typer.Option(TemplateName.blank, "--template", "-t",
                                          help="Which example to start from."),
    project: str | None = typer.Option(None, "--project", help="Project name "
                                       "(default: the folder's name)."),
    force: bool = typer.Option(False, "--force", help="Overwrite existing files."),
) -> None:
    """Create flowctl.yaml, a flow, its visitors, a knowledge/ sample and a GitHub workflow.

    Nothing that already exists is overwritten unless --force is given.

    Examples:

      flowctl init my-flows --template support-triage

      cd my-flows && flowctl lint
    """
    from flowctl.cli.failure import fail
    from flowctl.errors import ConfigError, FlowctlError
    from flowctl.scaffold import scaffold

    try:
        written = scaffold(directory, template.value, project=project, force=force)
    except FlowctlError as error:
        fail(error)
    except OSError as error:  # the folder cannot even be looked into
        fail(ConfigError(f"cannot create the project in {directory}: {error.strerror or error}",
                         hint="choose a folder you can write to"))
    from flowctl.loader.project import display_path

    for path in written:
        typer.echo(f"created {display_path(path)}")
    typer.echo(f"\nNext: cd {directory} && flowctl lint")


def register(app: typer.Typer) -> None:
    app.command("init")(init)
