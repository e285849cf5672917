"""``flowctl chat``: be the visitor of a flow in the terminal."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import typer

if TYPE_CHECKING:
    from flowctl.chat.render import Line
    from flowctl.chat.session import ChatSession


def chat(
    flow: str | None = typer.Argument(None, help="The flow to start (default: the one whose start "
                                      "conditions hold for --event and the context)."),
    event: str = typer.Option("page_view", "--event", "-e",
                              help="The event: page_view, chat_opened, visitor_message, ... "
                              "or custom:<name>."),
    page: str | None = typer.Option(None, "--page", help="The page URL the visitor is on."),
    device: str | None = typer.Option(None, "--device",
                                      help="mobile, desktop (the default), tablet or bot."),
    user_agent: str | None = typer.Option(None, "--user-agent",
                                          help="A user agent; the device fields are parsed from it."),
    visitor: list[str] = typer.Option(None, "--visitor", "-V", metavar="KEY=VALUE",
                                      help="A visitor field (repeatable): name=Ada, returning=true, "
                                      "time_on_page=45, attributes.plan=pro. Numbers and "
                                      "true/false are parsed."),
    agents: list[str] = typer.Option(None, "--agents", metavar="DEPT=N",
                                     help="Agents online in a department (repeatable; default 1 "
                                     "in every department of flowctl.yaml)."),
    now: str | None = typer.Option(None, "--now", metavar="ISO",
                                   help="The clock's start, e.g. 2026-11-24T10:00 (default: the "
                                   "current time in the project's time zone). /wait advances it."),
    endpoint: list[str] = typer.Option(None, "--endpoint", metavar="NAME=STATUS[:JSON]",
                                       help="What an endpoint answers (repeatable; default: 200 "
                                       "with {})."),
    fail: list[str] = typer.Option(None, "--fail", metavar="ENDPOINT",
                                   help="Make every call to this endpoint fail with 500 (repeatable)."),
    script: Path | None = typer.Option(None, "--script", metavar="FILE",
                                       help="Read the visitor's lines from this file."),
    project_dir: Path | None = typer.Option(None, "--project", "-p",
                                            help="The project folder (default: found by walking "
                                            "up from the working directory)."),
    color: bool | None = typer.Option(None, "--color/--no-color",
                                      help="Force colour on or off (default: on a terminal, "
                                      "unless NO_COLOR is set)."),
) -> None:
    """Chat with a flow as a virtual visitor, in the terminal.

    Bot messages start with "bot>", the block they come from is shown in brackets. Answer a
    question by typing a choice's number or its text; forms are asked field by field.
    Data calls are not sent anywhere: each is shown ("call> POST crm {...} -> 200 {}") and
    answers 200 with {} unless --endpoint or --fail says otherwise. AI blocks answer from the
    knowledge base. Commands: /wait SECONDS, /agents DEPT=N, /state, /help, /quit (or Ctrl-D).

    Exit code 0 when the chat ends (the flow ended or you left), 1 when no flow starts for
    the event, 2 for a usage error. Lines may be piped in or read from --script.

    Examples:

      flowctl chat lead-qualification --visitor name=Ada

      flowctl chat --page https://acme.test/pricing --visitor time_on_page=45 --now 2026-11-24T10:00

      flowctl chat support-triage --agents support=0 --fail tickets

      printf '4\\n1\\nAda\\nada@example.com\\nAcme\\n' | flowctl chat lead-qualification
    """
    from flowctl.chat import options as parse
    from flowctl.chat.session import ChatSession
    from flowctl.cli.failure import fail as fail_with
    from flowctl.errors import FlowctlError
    from flowctl.expr.schedule import project_zone
    from flowctl.loader.project import load_project
    from flowctl.model.problem import Severity

    try:
        project, _ = load_project([project_dir] if project_dir else [])
        config = project.config
        departments = config.department_names if config is not None else frozenset()
        endpoints = frozenset(config.endpoints) if config is not None else frozenset()
        chat_options = parse.ChatOptions(
            flow=flow,
            event=parse.parse_event(event),
            page={"url": page} if page else {},
            device=parse.parse_device(device, user_agent),
            visitor=parse.parse_visitor(visitor or []),
            agents=parse.parse_agents(agents or [], departments),
            now=parse.parse_now(now, project_zone(project)) if now else None,
            endpoints=parse.parse_endpoint(endpoint or [], endpoints),
            failing=parse.parse_failing(fail or [], endpoints),
        )
        session = ChatSession(project, chat_options)
        if script is not None and not script.is_file():
            raise parse.ConfigError(f"--script: no such file: {script}")
    except FlowctlError as error:
        fail_with(error)

    errors = [p for p in project.load_problems if p.severity >= Severity.ERROR]
    if errors:
        typer.echo(f"note: the project has {len(errors)} error(s) (`flowctl lint` lists them); "
                   "the chat may not behave as published", err=True)

    use_color = color if color is not None else (sys.stdout.isatty() and not os.environ.get("NO_COLOR"))
    show = _printer(bool(use_color))
    try:
        for line in session.start():
            show(line)
        if session.ended:
            raise typer.Exit(session.exit_code)
        source = script.open(encoding="utf-8") if script is not None else None
        try:
            for text in _lines(session, source):
                reply = session.send(text)
                for line in reply.lines:
                    show(line)
                if reply.ended:
                    break
            else:
                for line in session.quit():
                    show(line)
        finally:
            if source is not None:
                source.close()
    except FlowctlError as error:
        fail_with(error)
    except KeyboardInterrupt:
        typer.echo("")
        raise typer.Exit(130) from None
    raise typer.Exit(session.exit_code)


def _printer(color: bool) -> Callable[[Line], None]:
    from flowctl.chat.render import plain, styled

    if not color:
        def show_plain(line: Line) -> None:
            typer.echo(plain(line))
        return show_plain
    from rich.console import Console

    console = Console(highlight=False)

    def show_rich(line: Line) -> None:
        console.print(styled(line))
    return show_rich


def _lines(session: ChatSession, source: TextIO | None) -> Iterator[str]:
    """The user's lines: typed at a terminal (with line editing), or read from a pipe or
    file one at a time and echoed after the prompt so the transcript reads like a chat."""
    interactive = source is None and sys.stdin.isatty()
    if interactive:
        with contextlib.suppress(ImportError):  # Windows has no readline
            import readline  # noqa: F401  (line editing and history for input())
    stream = source if source is not None else sys.stdin
    while not session.ended:
        prompt = session.prompt
        if interactive:
            try:
                yield input(prompt)
            except EOFError:
                typer.echo("")
                return
            continue
        text = stream.readline()
        if not text:
            return
        text = text.rstrip("\r\n")
        typer.echo(prompt + text)
        yield text


def register(app: typer.Typer) -> None:
    app.command("chat")(chat)
