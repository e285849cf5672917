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
from flowctl.chat.ports import CannedEndpoints, SettableAgents, SettableClock
from flowctl.chat.render import Line, numbered, render_call, render_field_prompt, render_message
from flowctl.engine.inputs import Click, Elapse, Input, Say, SubmitForm
from flowctl.engine.interpreter import FlowError, Interpreter, Step
from flowctl.engine.knowledge import KnowledgeAssistant, KnowledgeBase
from flowctl.engine.ports import Ports
from flowctl.engine.schedule import project_zone
from flowctl.engine.state import Conversation
from flowctl.errors import ConfigError
from flowctl.model.blocks import FormBlock, FormField, QuestionBlock
from flowctl.model.project import Project

PROMPT = "you> "
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
        self.clock = SettableClock(options.now or datetime.now(self.zone))
        self.endpoints = CannedEndpoints(dict(options.endpoints), set(options.failing))
        self.agents = SettableAgents(agents)
        base = KnowledgeBase(project.articles)
        self.ports = Ports(clock=self.clock, endpoints=self.endpoints,
                           assistant=KnowledgeAssistant(base), agents=self.agents, knowledge=base)
        self.interpreter = Interpreter(project, self.ports)
        self.state: Conversation | None = None
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
        from flowctl.engine.start import select_flow

        lines: list[Line] = []
        event = self.options.event
        event_text = event["type"] + (f":{event['name']}" if event.get("name") else "")
        if self.flow_id is None:
            decision = select_flow(self.interpreter, event, self.context())
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
        step = self._engine(lambda: self.interpreter.start(str(self.flow_id), self.context()))
        lines.extend(self._after(step))
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
            if seconds < 0:
                return [Line("/wait needs a number of seconds ≥ 0", "error")]
            return self._wait(seconds)
        return [Line(f"unknown command {name}; commands: {', '.join(COMMANDS)}", "error")]

    def _wait(self, seconds: float) -> list[Line]:
        self.clock.advance(seconds)
        lines = [Line(f"… {_seconds(seconds)} later ({self._clock_text()})", "info")]
        before = self.state
        step_lines = self._handle(Elapse())
        lines.extend(step_lines)
        state = self.state
        if state is not None and before is not None and state.path == before.path and not self.ended:
            block = self._block()
            timeout = getattr(block, "timeout", None) if block is not None else None
            if timeout is None:
                lines.append(Line(f"(nothing happens: '{state.block}' has no timeout)", "info"))
            elif state.waiting_since is not None:
                waited = (self.clock.now() - datetime.fromisoformat(state.waiting_since)).total_seconds()
                lines.append(Line(f"(still waiting: '{state.block}' times out after {_seconds(timeout)}, "
                                  f"{_seconds(max(timeout - waited, 0))} to go)", "info"))
        return lines

    def snapshot(self) -> dict[str, Any]:
        state = self.state
        if state is None:
            return {"flow": self.flow_id}
        return {"flow": state.flow, "block": state.block, "status": state.status,
                "waiting_for": state.waiting_for, "variables": state.variables,
                "tags": state.tags, "path": state.path, "visitor": state.visitor,
                "outcome": state.outcome, "department": state.department,
                "failures": state.failures}

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
            model = self._form_field(form.block, spec["name"])
            if model is not None:
                from flowctl.engine.validation import validate_field

                ok, _ = validate_field(model, value)
                if not ok:
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

    def _form_field(self, block_id: str, name: str) -> FormField | None:
        flow = self.interpreter.flows.get(self.state.flow) if self.state else None
        block = flow.by_id.get(block_id) if flow else None
        if isinstance(block, FormBlock):
            return next((f for f in block.form_fields if f.name == name), None)
        return None

    # -- running the engine -------------------------------------------------------------------

    def _handle(self, event: Input) -> list[Line]:
        state = self.state
        assert state is not None
        step = self._engine(lambda: self.interpreter.handle(state, event, self.context()))
        return self._after(step)

    def _engine(self, run: Any) -> Step:
        try:
            result: Step = run()
        except FlowError as error:
            raise ConfigError(f"the flow cannot run: {error}",
                              hint="`flowctl lint` shows what is wrong with it") from None
        return result

    def _after(self, step: Step) -> list[Line]:
        """Show what one step did: calls, bot messages, and the end or what is awaited."""
        seen_edges = len(self.state.edges) if self.state is not None else 0
        self.state = step.state
        self.form = None
        lines: list[Line] = []
        messages = step.outputs
        # calls and detours (timeouts, failures...) happen between messages; the engine
        # reports them apart, so show each where its block sits in the path: before the
        # first message of a later block
        notes: list[tuple[str, Line]] = [(request.block, render_call(request, response))
                                         for request, response in step.requests]
        notes.extend(_detours(step.state.edges[seen_edges:]))
        path_index = {block: n for n, block in enumerate(step.state.path)}
        notes.sort(key=lambda note: path_index.get(note[0], -1))
        for message in messages:
            position = path_index.get(message.get("block", ""), len(step.state.path))
            while notes and path_index.get(notes[0][0], -1) < position:
                lines.append(notes.pop(0)[1])
            lines.extend(render_message(message))
        lines.extend(line for _, line in notes)
        state = step.state
        if state.ended:
            self.ended = True
            lines.append(self._end_line(state))
        elif state.waiting_for == "form":
            form = next((m for m in reversed(messages) if m.get("type") == "form"), None)
            if form is not None and form.get("fields"):
                self.form = _FormFill(str(form.get("block")), list(form["fields"]))
                lines.extend(self._field_intro())
        elif state.waiting_for == "ai" and not any(m.get("assistant") for m in messages):
            lines.append(Line("(an assistant answers from the knowledge base: ask a question, "
                              "or ask for a human)", "info", state.block))
        return lines

    def _end_line(self, state: Conversation) -> Line:
        parts = [f"flow ended: outcome {state.outcome}"]
        if state.department:
            parts.append(f"department {state.department}")
        parts.append("tags " + (", ".join(state.tags) if state.tags else "none"))
        return Line(" · ".join(parts), "end")

    def _block(self) -> Any:
        state = self.state
        if state is None or state.block is None:
            return None
        flow = self.interpreter.flows.get(state.flow)
        return flow.by_id.get(state.block) if flow else None

    def _choices(self) -> list[str]:
        block = self._block()
        if isinstance(block, QuestionBlock) and self.state and self.state.waiting_for == "answer":
            return [choice.label for choice in block.choices]
        return []

    def _clock_text(self) -> str:
        now = self.clock.now()
        time = "%H:%M:%S" if now.second else "%H:%M"
        return now.strftime(f"%a %Y-%m-%d {time} ") + (now.tzname() or "")


_EDGE = re.compile(r"^(?P<source>\S+) -(?P<kind>\w+)(?:\[.*\])?-> (?P<target>.+)$")
_DETOURS = {
    "on_timeout": "'{source}' timed out → {target}",
    "on_invalid": "no valid answer at '{source}' → {target}",
    "on_error": "'{source}' failed → {target}",
    "when_unavailable": "no agent online for '{source}' → {target}",
}


def _detours(edges: list[str]) -> list[tuple[str, Line]]:
    """Info lines for the edges a user would not see otherwise (timeouts, failures...)."""
    out: list[tuple[str, Line]] = []
    for key in edges:
        match = _EDGE.match(key)
        if match and match["kind"] in _DETOURS:
            text = _DETOURS[match["kind"]].format(source=match["source"], target=match["target"])
            out.append((match["source"], Line(f"({text})", "info")))
    return out


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
