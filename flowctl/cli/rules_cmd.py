"""``flowctl rules``: list the lint rules, or explain one."""

from __future__ import annotations

import typer


def rules(
    code: str | None = typer.Argument(None, help="A rule code (G002) or name (unknown-target)."),
) -> None:
    """List the lint rules, or explain one with a failing and a passing example.

    Examples:

      flowctl rules

      flowctl rules G002
    """
    from flowctl.lint.catalogue import all_rules, find_rule

    if code is None:
        for rule in all_rules().values():
            typer.echo(f"{rule.code}  {rule.name:<40} {rule.severity!s:<8} {rule.summary}")
        return
    found = find_rule(code)
    if found is None:
        typer.echo(f"flowctl: error: no rule '{code}'", err=True)
        typer.echo("  hint: `flowctl rules` lists the codes and names", err=True)
        raise typer.Exit(2)
    typer.echo(f"{found.code} {found.name} (default severity: {found.severity})\n")
    typer.echo(found.doc)


def register(app: typer.Typer) -> None:
    app.command("rules")(rules)
