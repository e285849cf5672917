"""One conversation between a virtual visitor typing in the terminal and the engine.

The session does no I/O: :meth:`ChatSession.start` and :meth:`ChatSession.send` return the
lines to show, :attr:`ChatSession.prompt` what to ask next.  The command line module only
reads lines and prints what comes back, so everything here is tested directly.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from flowctl.chat.options import ChatOptions, parse_agents
from flowctl.chat.render import Line, numbered, render_call, render_field_prompt, render_message
from flowctl.engine import (
    CallMade,
    Click,
    Conversation,
    Diagnostic,
    EdgeKind,
    Effect,
    Elapse,
    Engine,
    Entered,
    FlowError,
    Input,
    Ports,
    Response,
    Said,
    Say,
    Settled,
    SubmitForm,
    Took,
    WaitingFor,
    settle,
)
from flowctl.engine.fakes import Canned, FixedClock, ScriptedAgents, ScriptedEndpoints
from flowctl.engine.knowledge import KnowledgeAssistant, KnowledgeBase
from flowctl.errors import ConfigError
from flowctl.expr.schedule import project_zone
from flowctl.model.project import Project

PROMPT = "you> "
MAX_WAIT = 10 * 365 * 86400.0  # a clock moved further only overflows the calendar
COMMANDS = ("/wait SECONDS", "/agents DEPT=N", "/state", "/help", "/quit")


class Reply(NamedTuple):
    lines: list[Line]
    ended: bool


@dataclass
class _FormFill:
    """The form being filled in, one field at a time."""

    block: str
    fields: list[dict[str, Any]]
    index: int = 0
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def current(self) -> dict[str, Any]:
        return self.fields[self.index]


class ChatSession:
    """A virtual visitor chatting with one flow of ``project``."""

    def __init__(self, project: Project, options: ChatOptions) -> None:
        self.project = project
        self.options = options
        config = project.config
        self.zone = project_zone(project)
        self.departments = set(config.department_names) if config is not None else set()
        self.endpoint_names = set(config.endpoints) if config is not None else set()
        if options.flow is not None and project.flow(options.flow) is None:
            known = ", ".join(sorted(f.id for f in project.flows)) or "none"
            raise ConfigError(f"unknown flow '{options.flow}'", hint=f"flows of the project: {known}")
        for name in options.agents:
            if self.departments and name not in self.departments:
                raise ConfigError(f"unknown department '{name}'",
                                  hint="departments of flowctl.yaml: " + ", ".join(sorted(self.departments)))
        agents = {name: 1 for name in sorted(self.departments)}
        agents.update(options.agents)
        self.clock = FixedClock(options.now or datetime.now(self.zone))
        self.endpoints = ScriptedEndpoints(
            {name: (Canned(response),) for name, response in options.endpoints.items()},
            default=Response(200, {}), failing=set(options.failing))
        self.agents = ScriptedAgents(agents)
        base = KnowledgeBase(project.articles)
        self.ports = Ports(clock=self.clock, agents=self.agents,
                           assistant=KnowledgeAssistant(base), knowledge=base,
                           endpoints=self.endpoints)
        self.engine = Engine(project)
        self.state: Conversation | None = None
        self.trace: list[Effect] = []  # every step's log, for /state
        self.accepted = True  # whether the last input was taken
        self.form: _FormFill | None = None
        self.ended = False
        self.exit_code = 0
        self.flow_id: str | None = options.flow

    # -- the context ------------------------------------------------------------------------

    def context(self) -> dict[str, Any]:
        visitor = {"id": "terminal-visitor", **self.options.visitor}
        return {
            "event": dict(self.options.event),
            "page": dict(self.options.page),
            "visitor": visitor,
            "device": dict(self.options.device),
            "chat": {"id": "terminal-chat", "started_at": self.clock.now().isoformat()},
        }

    @property
    def prompt(self) -> str:
        if self.form is not None:
            spec = self.form.current
            return render_field_prompt(spec["name"], spec.get("label") or spec["name"],
                                       spec.get("type", "text"), bool(spec.get("required")))
        return PROMPT

    # -- starting -----------------------------------------------------------------------------

    def start(self) -> list[Line]:
        """Start the flow given, or the one the start conditions pick; the lines to show."""
        lines: list[Line] = []
        event = self.options.event
        event_text = event["type"] + (f":{event['name']}" if event.get("name") else "")
        if self.flow_id is None:
            decision = self.engine.select(event, self.context(), self.ports)
            if decision.flow is None:
                lines.append(Line(f"No flow starts on {event_text}:", "error"))
                width = max((len(name) for name in decision.reasons), default=0)
                for name, reason in decision.reasons.items():
                    lines.append(Line(f"  {name.ljust(width)}  {reason}", "info"))
                if not decision.reasons:
                    lines.append(Line("  the project has no flows", "info"))
                lines.append(Line(f"  (clock: {self._clock_text()}; --now sets it, --visitor and --page "
                                  "set the context)", "info"))
                self.ended = True
                self.exit_code = 1
                return lines
            self.flow_id = decision.flow.id
            lines.append(Line(f"{self.flow_id} starts on {event_text} "
                              f"({self._clock_text()}; /help lists the commands)", "info"))
        else:
            lines.append(Line(f"chatting with {self.flow_id} "
                              f"({self._clock_text()}; /help lists the commands)", "info"))
        flow_id = str(self.flow_id)
        lines.extend(self._after(self._engine(lambda: self.engine.start(
            flow_id, self.context(), self.ports, conversation_id="terminal-chat"))))
        return lines

    # -- the visitor's input ------------------------------------------------------------------

    def send(self, text: str) -> Reply:
        """One line the user typed → the lines to show, and whether the chat is over."""
        if self.ended:
            return Reply([], True)
        text = text.rstrip("\r\n")
        stripped = text.strip()
        if stripped.startswith("/") and not stripped.startswith("//"):
            return Reply(self._command(stripped), self.ended)
        if stripped.startswith("//"):
            text = stripped[1:]  # "//x" sends "/x"
        if self.form is not None:
            return Reply(self._form_input(text), self.ended)
        state = self.state
        if state is None or state.waiting_for is None:
            return Reply([Line("(the bot is not waiting for anything)", "info")], self.ended)
        lines: list[Line] = []
        event: Input = Say(text)
        choices = self._choices()
        if choices and re.fullmatch(r"\s*\d+\s*", text):
            number = int(text)
            if 1 <= number <= len(choices):
                event = Click(choices[number - 1])
                lines.append(Line(f"     → {choices[number - 1]}", "info"))
        lines.extend(self._handle(event))
        return Reply(lines, self.ended)

    def quit(self) -> list[Line]:
        """Leave the chat (``/quit`` or end of input)."""
        if self.ended:
            return []
        self.ended = True
        where = f" at block '{self.state.block}'" if self.state and self.state.block else ""
        return [Line(f"left the chat{where}; the flow did not end", "info")]

    # -- commands -----------------------------------------------------------------------------

    def _command(self, text: str) -> list[Line]:
        name, _, argument = text.partition(" ")
        argument = argument.strip()
        if name == "/quit" or name == "/exit":
            return self.quit()
        if name == "/help":
            return [Line("Type an answer (a choice's number or its text). Commands:", "info"),
                    Line("  /wait SECONDS   let time pass (timeouts fire)", "info"),
                    Line("  /agents DEPT=N  change the agents online, e.g. /agents sales=0", "info"),
                    Line("  /state          variables, tags and path as JSON", "info"),
                    Line("  /quit           leave (so does Ctrl-D)", "info")]
        if name == "/state":
            return [Line(state_json(self.snapshot()), "state")]
        if name == "/agents":
            if not argument:
                online = ", ".join(f"{k}={v}" for k, v in self.agents.online_by_department.items())
                return [Line(f"agents online: {online or 'none'}", "info")]
            try:
                changes = parse_agents([argument], self.departments)
            except ConfigError as error:
                hint = f" ({error.hint})" if error.hint else ""
                return [Line(f"/agents: {error.message}{hint}", "error")]
            self.agents.online_by_department.update(changes)
            online = ", ".join(f"{k}={v}" for k, v in self.agents.online_by_department.items())
            return [Line(f"agents online: {online}", "info")]
        if name == "/wait":
            try:
                seconds = float(argument)
            except ValueError:
                return [Line("/wait needs a number of seconds, e.g. /wait 600", "error")]
            if not 0 <= seconds <= MAX_WAIT:  # also inf and nan
                return [Line(f"/wait needs a number of seconds from 0 to {MAX_WAIT:.0f} "
                             "(ten years)", "error")]
            return self._wait(seconds)
        return [Line(f"unknown command {name}; commands: {', '.join(COMMANDS)}", "error")]

    def _wait(self, seconds: float) -> list[Line]:
        self.clock.advance(seconds)
        lines = [Line(f"… {_seconds(seconds)} later ({self._clock_text()})", "info")]
        if self.state is None or self.ended:
            return lines
        lines.extend(self._handle(Elapse()))
        state = self.state
        if not self.accepted and not self.ended:
            awaiting = self.engine.awaiting(state)
            if awaiting is None or awaiting.expires_at is None:
                lines.append(Line(f"(nothing happens: '{state.block}' has no timeout)", "info"))
            else:
                left = (awaiting.expires_at - self.clock.now()).total_seconds()
                since = datetime.fromisoformat(state.waiting_since or awaiting.expires_at.isoformat())
                total = (awaiting.expires_at - since).total_seconds()
                lines.append(Line(f"(still waiting: '{state.block}' times out after "
                                  f"{_seconds(total)}, {_seconds(max(left, 0))} to go)", "info"))
        return lines

    def snapshot(self) -> dict[str, Any]:
        state = self.state
        if state is None:
            return {"flow": self.flow_id}
        failures = [f"{d.block}: {d.message}" for d in self.trace if isinstance(d, Diagnostic)]
        return {"flow": state.flow, "block": state.block, "status": str(state.status),
                "waiting_for": str(state.waiting_for) if state.waiting_for else None,
                "variables": state.variables, "tags": state.tags,
                "path": [e.block for e in self.trace if isinstance(e, Entered)],
                "visitor": state.visitor, "outcome": state.outcome,
                "department": state.department, "problems": failures}

    # -- forms --------------------------------------------------------------------------------

    def _form_input(self, text: str) -> list[Line]:
        form = self.form
        assert form is not None
        spec = form.current
        value = text.strip()
        options = list(spec.get("options") or [])
        if spec.get("type") == "select" and re.fullmatch(r"\d+", value) and 1 <= int(value) <= len(options):
            value = options[int(value) - 1]
        if not value:
            if spec.get("required"):
                return [Line("  required: please type a value", "error")]
        else:
            assert self.state is not None
            if not self.engine.check_field(self.state, spec["name"], value, self.context(), self.ports):
                expected = ("one of " + ", ".join(options)) if options else f"a valid {spec.get('type')}"
                return [Line(f"  not {expected}: please try again", "error")]
            form.values[spec["name"]] = value
        form.index += 1
        if form.index < len(form.fields):
            return self._field_intro()
        self.form = None
        return self._handle(SubmitForm(dict(form.values)))

    def _field_intro(self) -> list[Line]:
        assert self.form is not None
        options = self.form.current.get("options") or []
        return [Line("  " + numbered(options), "option")] if options else []

    # -- running the engine -------------------------------------------------------------------

    def _handle(self, event: Input) -> list[Line]:
        state = self.state
        assert state is not None
        return self._after(self._engine(
            lambda: self.engine.handle(state, event, self.context(), self.ports)))

    def _engine(self, run: Any) -> Settled:
        try:
            return settle(self.engine, run(), self.context(), self.ports)
        except FlowError as error:
            raise ConfigError(f"the flow cannot run: {error}",
                              hint="`flowctl lint` shows what is wrong with it") from None

    def _after(self, settled: Settled) -> list[Line]:
        """Show what one step did, in order: calls, detours and bot messages, then the end
        or what the flow waits for."""
        step = settled.step
        self.state = step.state
        self.accepted = step.accepted
        self.trace.extend(step.log)
        self.form = None
        attempts: dict[str, list[Line]] = {}
        for exchange in settled.exchanges:
            attempts.setdefault(exchange.call.key, []).append(
                render_call(exchange.call, exchange.response))
        lines: list[Line] = []
        for effect in step.log:
            if isinstance(effect, CallMade):
                lines.extend(attempts.pop(effect.call.key, []))
            elif isinstance(effect, Took) and effect.edge.kind in _DETOURS:
                target = effect.edge.target or "(end)"
                text = _DETOURS[effect.edge.kind].format(source=effect.edge.source, target=target)
                lines.append(Line(f"({text})", "info"))
            elif isinstance(effect, Said):
                lines.extend(render_message(effect.message))
        state = step.state
        messages = step.messages
        if state.ended:
            self.ended = True
            lines.append(self._end_line(state))
        elif state.waiting_for == WaitingFor.FORM:
            form = next((m for m in reversed(messages) if m.fields), None)
            if form is not None:
                self.form = _FormFill(form.block, [f.to_json() for f in form.fields])
                lines.extend(self._field_intro())
        elif state.waiting_for == WaitingFor.AI and not any(m.assistant for m in messages):
            lines.append(Line("(an assistant answers from the knowledge base: ask a question, "
                              "or ask for a human)", "info", state.block))
        return lines

    def _end_line(self, state: Conversation) -> Line:
        parts = [f"flow ended: outcome {state.outcome}"]
        if state.department:
            parts.append(f"department {state.department}")
        parts.append("tags " + (", ".join(state.tags) if state.tags else "none"))
        return Line(" · ".join(parts), "end")

    def _choices(self) -> list[str]:
        awaiting = self.engine.awaiting(self.state) if self.state is not None else None
        if awaiting is not None and awaiting.kind == WaitingFor.ANSWER:
            return list(awaiting.choices)
        return []

    def _clock_text(self) -> str:
        now = self.clock.now()
        time = "%H:%M:%S" if now.second else "%H:%M"
        return now.strftime(f"%a %Y-%m-%d {time} ") + (now.tzname() or "")


_DETOURS = {
    EdgeKind.ON_TIMEOUT: "'{source}' timed out → {target}",
    EdgeKind.ON_INVALID: "no valid answer at '{source}' → {target}",
    EdgeKind.ON_ERROR: "'{source}' failed → {target}",
    EdgeKind.WHEN_UNAVAILABLE: "no agent online for '{source}' → {target}",
}


def _seconds(value: float) -> str:
    value = float(value)
    text = f"{int(value)}" if value.is_integer() else f"{value:g}"
    return f"{text} s"


def state_json(data: dict[str, Any]) -> str:
    """JSON with one top-level key a line, each value compact: readable and still valid JSON."""
    if not data:
        return "{}"
    rows = [f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False, default=str)}"
            for key, value in data.items()]
    return "{\n" + ",\n".join(rows) + "\n}"
