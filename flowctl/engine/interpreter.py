"""The interpreter: one deterministic engine for the simulator and the runtime server.

``(state, input, context) → (state, outputs)``.  A step runs blocks until the flow waits
for the visitor (a question, a form, an assistant turn) or ends.  Effects go through the
ports; every transition is recorded as the key of a graph edge, so coverage, analytics and
transcripts all speak of the same edges that ``flowctl lint`` and ``render`` see.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flowctl.engine.context import build_context, static_context, with_state
from flowctl.engine.inputs import Click, Elapse, Input, Say, SubmitForm
from flowctl.engine.ports import Ports, Request, Response
from flowctl.engine.state import ENDED, RUNNING, WAITING, Conversation
from flowctl.model.blocks import (
    AIBlock,
    ArticlesBlock,
    Block,
    BlockBase,
    BranchBlock,
    Choice,
    DataBlock,
    DataRequestBlock,
    EndBlock,
    EscalateBlock,
    FormBlock,
    GotoBlock,
    MessageBlock,
    QuestionBlock,
    SetBlock,
    TagBlock,
)
from flowctl.model.flow import Flow
from flowctl.model.graph import Edge, adjacency
from flowctl.model.project import Project

#: Blocks one step may run before the engine stops a flow that never waits.
MAX_BLOCKS_PER_STEP = 1_000
#: How many flows one conversation may chain with goto.
MAX_GOTO = 20
#: Turns of the conversation with the assistant kept in the state and passed to it.
ASSISTANT_HISTORY = 20


@dataclass
class Step:
    """The result of one step: the new state and what the bot sent."""

    state: Conversation
    outputs: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[Request, Response]] = field(default_factory=list)

    @property
    def ended(self) -> bool:
        return self.state.status == ENDED


class _Static(Mapping[str, Any]):
    """A context already resolved for this step (device parsed, agents counted)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)


class FlowError(Exception):
    """A flow asked for something the project does not have (lint reports these)."""


class Interpreter:
    def __init__(self, project: Project, ports: Ports) -> None:
        from flowctl.engine.schedule import ScheduleCalendar
        from flowctl.expr.evaluate import Evaluator, Functions

        self.project = project
        self.ports = ports
        config = project.config
        timezone = config.timezone.name if config and config.timezone else "UTC"
        self.timezone = timezone
        self.calendars = {
            name: ScheduleCalendar.from_model(schedule, timezone)
            for name, schedule in (config.schedules.items() if config else ())
        }
        self.evaluator = Evaluator(Functions(self.calendars, ports.clock.now))
        self.flows = {flow.id: flow for flow in project.flows}

    # -- public API -------------------------------------------------------------------------

    def start(self, flow_id: str, context: Mapping[str, Any],
              state: Conversation | None = None) -> Step:
        """Start ``flow_id`` (in a new conversation, or in ``state`` after a goto)."""
        flow = self._flow(flow_id)
        if state is None:
            state = Conversation(flow=flow.id)
        step = Step(state)
        self._enter_flow(step, flow, context)
        return step

    def handle(self, state: Conversation, event: Input, context: Mapping[str, Any]) -> Step:
        """Feed one visitor input (or the passing of time) to a waiting conversation."""
        step = Step(state.copy())
        state = step.state
        if state.status != WAITING or state.block is None:
            return step
        flow = self._flow(state.flow)
        block = flow.by_id[state.block]
        if isinstance(event, Say | Click):
            state.messages += 1
        if isinstance(event, Elapse):
            self._check_timeout(step, flow, block, context)
        elif isinstance(block, QuestionBlock):
            self._answer(step, flow, block, event, context)
        elif isinstance(block, FormBlock):
            self._submit(step, flow, block, event, context)
        elif isinstance(block, AIBlock):
            self._ai_turn(step, flow, block, event, context)
        return step

    def context_of(self, state: Conversation, context: Mapping[str, Any]) -> dict[str, Any]:
        """The evaluation context: the visitor's context, the state's changes, variables."""
        if isinstance(context, _Static):
            return with_state(context.data, state)
        return build_context(context, state, self.ports)

    # -- running ----------------------------------------------------------------------------

    def _flow(self, flow_id: str) -> Flow:
        flow = self.flows.get(flow_id)
        if flow is None:
            raise FlowError(f"no flow '{flow_id}' in the project")
        return flow

    def _enter_flow(self, step: Step, flow: Flow, context: Mapping[str, Any]) -> None:
        state = step.state
        state.flow = flow.id
        state.flows.append(flow.id)
        state.status = RUNNING
        if not flow.blocks:
            self._end(step, "completed")
            return
        self._run(step, flow, flow.blocks[0], context)

    def _run(self, step: Step, flow: Flow, block: Block | None, context: Mapping[str, Any]) -> None:
        """Run blocks from ``block`` until the flow waits or ends."""
        if not isinstance(context, _Static):
            context = _Static(static_context(context, self.ports))
        budget = MAX_BLOCKS_PER_STEP
        while block is not None:
            budget -= 1
            if budget < 0:
                step.state.failures.append({"block": block.id, "error": "loop"})
                self._end(step, "error:loop")
                return
            state = step.state
            state.block = block.id
            state.path.append(block.id)
            block = self._execute(step, flow, block, context)
            if state.status in (WAITING, ENDED):
                return

    def _execute(self, step: Step, flow: Flow, block: Block,
                 context: Mapping[str, Any]) -> Block | None:
        """Run one block; return the next block to run (None: waiting or ended)."""
        state = step.state
        ctx = self.context_of(state, context)
        ev = self.evaluator
        if isinstance(block, MessageBlock):
            message: dict[str, Any] = {"type": "text", "block": block.id}
            if block.text is not None:
                message["text"] = ev.render(block.text, ctx)
            if block.image is not None:
                message["type"] = "image"
                message["image"] = {"url": ev.render(block.image.url, ctx),
                                    "alt": ev.render(block.image.alt, ctx) if block.image.alt else ""}
            if block.buttons:
                message["type"] = "buttons"
                message["buttons"] = [{"label": ev.render(b.label, ctx), "url": ev.render(b.url, ctx)}
                                      for b in block.buttons]
            if block.delay:
                message["delay"] = block.delay
            step.outputs.append(message)
            return self._continue(step, flow, block)
        if isinstance(block, QuestionBlock):
            self._ask(step, block, ctx)
            return None
        if isinstance(block, FormBlock):
            self._wait(state, "form")
            step.outputs.append(self._form_message(block, ctx))
            return None
        if isinstance(block, AIBlock):
            self._wait(state, "ai")
            state.turns = 0
            return None
        if isinstance(block, DataBlock):
            return self._call(step, flow, block, ctx)
        if isinstance(block, BranchBlock):
            for number, case in enumerate(block.cases, 1):
                if ev.test(case.when, ctx):
                    return self._follow(step, flow, block, "case", f"case {number}")
            if block.default is not None:
                return self._follow(step, flow, block, "default")
            return self._continue(step, flow, block)
        if isinstance(block, TagBlock):
            for tag in block.add:
                name = ev.render(tag, ctx).strip()
                if name and name not in state.tags:
                    state.tags.append(name)
            for tag in block.remove:
                name = ev.render(tag, ctx).strip()
                if name in state.tags:
                    state.tags.remove(name)
            return self._continue(step, flow, block)
        if isinstance(block, SetBlock):
            for target, value in block.values:
                state.variables[target.name] = ev.value(value, self.context_of(state, context))
            return self._continue(step, flow, block)
        if isinstance(block, ArticlesBlock):
            query = ev.render(block.query, ctx) if block.query is not None else ""
            collection = block.collection.name if block.collection else None
            found = self.ports.knowledge.search(query, collection, block.limit)
            step.outputs.append({"type": "articles", "block": block.id, "articles": found})
            if block.save is not None:
                state.variables[block.save.name] = found
            return self._continue(step, flow, block)
        if isinstance(block, EscalateBlock):
            department = block.department.name if block.department else None
            if self.ports.agents.online(department) <= 0 and block.when_unavailable is not None:
                return self._follow(step, flow, block, "when_unavailable")
            handoff: dict[str, Any] = {"type": "handoff", "block": block.id,
                                       "department": department, "priority": block.priority}
            if block.text is not None:
                handoff["text"] = ev.render(block.text, ctx)
            step.outputs.append(handoff)
            state.department = department
            if block.note is not None:
                state.agent_note = ev.render(block.note, ctx)
            self._record(step, flow, block, "end")
            self._end(step, "escalated")
            return None
        if isinstance(block, EndBlock):
            if block.text is not None:
                step.outputs.append({"type": "text", "block": block.id,
                                     "text": ev.render(block.text, ctx)})
            self._record(step, flow, block, "end")
            self._end(step, block.outcome)
            return None
        if isinstance(block, GotoBlock):
            self._record(step, flow, block, "end")
            next_flow = self.flows.get(block.flow.name)
            if next_flow is None or len(state.flows) >= MAX_GOTO:
                state.failures.append({"block": block.id, "error": f"goto {block.flow.name}"})
                self._end(step, f"goto:{block.flow.name}")
                return None
            state.outcome = f"goto:{next_flow.id}"
            state.outcomes.append([flow.id, state.outcome])
            self._enter_flow(step, next_flow, context)
            return None
        raise FlowError(f"block type {block.type} is not supported")  # pragma: no cover

    # -- transitions --------------------------------------------------------------------------

    def _edge(self, flow: Flow, block: BlockBase, kinds: tuple[str, ...], label: str = "") -> Edge:
        for edge in adjacency(flow)[block.id]:
            if edge.kind in kinds and (not label or edge.label == label):
                return edge
        raise FlowError(f"block '{block.id}' has no {kinds[0]} edge")  # pragma: no cover

    def _record(self, step: Step, flow: Flow, block: BlockBase, kind: str, label: str = "") -> Edge:
        edge = self._edge(flow, block, (kind,) if kind != "continue" else ("next", "fallthrough"),
                          label)
        step.state.edges.append(edge.key)
        return edge

    def _follow(self, step: Step, flow: Flow, block: BlockBase, kind: str,
                label: str = "") -> Block | None:
        """Take an edge; return the block it leads to, or end the flow."""
        edge = self._record(step, flow, block, kind, label)
        if edge.target is None:
            self._end(step, edge.outcome or "completed")
            return None
        target = flow.by_id.get(edge.target)
        if target is None:
            step.state.failures.append({"block": block.id, "error": f"no block {edge.target}"})
            self._end(step, "error:target")
            return None
        return target

    def _continue(self, step: Step, flow: Flow, block: BlockBase) -> Block | None:
        return self._follow(step, flow, block, "continue")

    def _end(self, step: Step, outcome: str) -> None:
        state = step.state
        state.status = ENDED
        state.waiting_for = None
        state.outcome = outcome
        state.outcomes.append([state.flow, outcome])

    def _wait(self, state: Conversation, kind: str) -> None:
        state.status = WAITING
        state.waiting_for = kind
        state.waiting_since = self.ports.clock.now().isoformat()
        state.attempts = 0

    def _restart_clock(self, state: Conversation) -> None:
        """Silence is counted from the last thing the bot asked."""
        state.waiting_since = self.ports.clock.now().isoformat()

    def _resume(self, step: Step, flow: Flow, block: Block | None,
                context: Mapping[str, Any]) -> None:
        if step.state.status == ENDED:  # the way out ended the flow (no handler): stay ended
            return
        step.state.status = RUNNING
        step.state.waiting_for = None
        if block is not None:
            self._run(step, flow, block, context)

    # -- questions ----------------------------------------------------------------------------

    def _question_message(self, block: QuestionBlock, ctx: Mapping[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "choices" if block.choices else "text",
            "block": block.id,
            "text": self.evaluator.render(block.text, ctx) if block.text is not None else "",
            "expect": block.expect,
        }
        if block.choices:
            message["choices"] = [choice.label for choice in block.choices]
            message["style"] = block.style
        return message

    def _ask(self, step: Step, block: QuestionBlock, ctx: Mapping[str, Any]) -> None:
        self._wait(step.state, "answer")
        step.outputs.append(self._question_message(block, ctx))

    def _answer(self, step: Step, flow: Flow, block: QuestionBlock, event: Input,
                context: Mapping[str, Any]) -> None:
        from flowctl.engine.validation import validate

        state = step.state
        text = event.text if isinstance(event, Say) else getattr(event, "label", None)
        if text is None:
            return
        ctx = self.context_of(state, context)
        result = validate(block, str(text), region=_region(ctx))
        if not result.ok:
            state.attempts += 1
            if state.attempts > block.retries:
                self._resume(step, flow, self._follow(step, flow, block, "on_invalid"), context)
                return
            if block.retry_text is not None:
                step.outputs.append({"type": "text", "block": block.id, "retry": True,
                                     "text": self.evaluator.render(block.retry_text, ctx)})
            step.outputs.append(self._question_message(block, ctx))
            self._restart_clock(state)
            return
        if block.save is not None:
            state.variables[block.save.name] = result.value
        choice: Choice | None = result.choice
        if choice is not None and choice.next is not None:
            target = self._follow(step, flow, block, "choice", choice.label)
        else:
            target = self._continue(step, flow, block)
        self._resume(step, flow, target, context)

    def _check_timeout(self, step: Step, flow: Flow, block: Block,
                       context: Mapping[str, Any]) -> None:
        timeout = getattr(block, "timeout", None)
        state = step.state
        if timeout is None or state.waiting_since is None:
            return
        waited = (self.ports.clock.now() - datetime.fromisoformat(state.waiting_since))
        if waited.total_seconds() + 1e-9 < timeout:
            return
        self._resume(step, flow, self._follow(step, flow, block, "on_timeout"), context)

    # -- forms --------------------------------------------------------------------------------

    def _form_message(self, block: FormBlock, ctx: Mapping[str, Any]) -> dict[str, Any]:
        ev = self.evaluator
        return {
            "type": "form",
            "block": block.id,
            "title": ev.render(block.title, ctx) if block.title is not None else "",
            "fields": [{"name": f.name, "label": ev.render(f.label, ctx) if f.label else f.name,
                        "type": f.type, "required": f.required, "options": list(f.options)}
                       for f in block.form_fields],
            "submit_label": ev.render(block.submit_label, ctx) if block.submit_label else "Send",
        }

    def _submit(self, step: Step, flow: Flow, block: FormBlock, event: Input,
                context: Mapping[str, Any]) -> None:
        if not isinstance(event, SubmitForm):
            return  # typing while a form is open changes nothing
        from flowctl.engine.validation import validate_field

        state = step.state
        ctx = self.context_of(state, context)
        values: dict[str, Any] = {}
        problems: list[str] = []
        for form_field in block.form_fields:
            raw = event.values.get(form_field.name)
            if raw is None or raw == "":
                if form_field.required:
                    problems.append(f"{form_field.name}: required")
                continue
            ok, value = validate_field(form_field, raw, _region(ctx))
            if not ok:
                problems.append(f"{form_field.name}: invalid")
                continue
            values[form_field.name] = value
        if problems:
            step.outputs.append({"type": "text", "block": block.id, "retry": True,
                                 "text": "Please check: " + ", ".join(problems)})
            step.outputs.append(self._form_message(block, ctx))
            self._restart_clock(state)
            return
        for form_field in block.form_fields:
            if form_field.profile is not None and form_field.name in values:
                _set_profile(state.visitor, form_field.profile.name, values[form_field.name])
        if block.save is not None:
            state.variables[block.save.name] = values
        self._resume(step, flow, self._continue(step, flow, block), context)

    # -- the assistant -------------------------------------------------------------------------

    def _ai_turn(self, step: Step, flow: Flow, block: AIBlock, event: Input,
                 context: Mapping[str, Any]) -> None:
        if not isinstance(event, Say | Click):
            return
        state = step.state
        text = event.text if isinstance(event, Say) else event.label
        ctx = self.context_of(state, context)
        instructions = (self.evaluator.render(block.instructions, ctx)
                        if block.instructions is not None else "")
        reply = self.ports.assistant.reply(
            block.assistant.name, str(text), instructions=instructions,
            knowledge=tuple(k.name for k in block.knowledge),
            history=[dict(turn) for turn in state.assistant_log],
        )
        reason = reply.handoff
        state.assistant_log.append({"role": "visitor", "text": str(text)})
        if reply.text:
            step.outputs.append({"type": "text", "block": block.id, "assistant": True,
                                 "text": reply.text})
            state.assistant_log.append({"role": "assistant", "text": reply.text})
        del state.assistant_log[:-ASSISTANT_HISTORY]
        state.turns += 1  # every visitor message is a turn, answered or not
        if reason is None or reason not in block.handoff_when:
            if state.turns < block.max_turns:
                return  # keep talking
            reason = "max_turns"  # turns are up, whatever handoff_when says
        if block.save is not None:
            state.variables[block.save.name] = reason
        self._resume(step, flow, self._continue(step, flow, block), context)

    # -- data blocks --------------------------------------------------------------------------

    def _call(self, step: Step, flow: Flow, block: DataBlock,
              ctx: Mapping[str, Any]) -> Block | None:
        config = self.project.config
        endpoint = config.endpoints.get(block.endpoint.name) if config else None
        state = step.state
        if endpoint is None:
            state.failures.append({"block": block.id, "endpoint": block.endpoint.name,
                                   "error": "unknown endpoint"})
            return self._after_failure(step, flow, block)
        ev = self.evaluator
        default_method = "GET" if isinstance(block, DataRequestBlock) else endpoint.method
        method = (block.method or default_method or "POST").upper()
        headers = {key: ev.render(value, ctx) for key, value in endpoint.headers}
        if block.headers is not None:
            extra = ev.value(block.headers, ctx)
            if isinstance(extra, dict):
                headers.update({str(k): str(v) for k, v in extra.items()})
        query = ev.value(block.query, ctx) if block.query is not None else {}
        body = ev.value(block.body, ctx) if block.body is not None else None
        timeout = block.timeout or endpoint.timeout
        response = Response(error="not called")
        for attempt in range(1, endpoint.retries + 2):
            request = Request(endpoint.name, method, ev.render(endpoint.url, ctx), body,
                              query if isinstance(query, dict) else {}, headers, timeout,
                              block.id, attempt)
            response = self.ports.endpoints.call(request)
            step.requests.append((request, response))
            if response.ok or not response.retryable:
                break
        if response.ok:
            if block.save is not None:
                state.variables[block.save.name] = response.json
            return self._continue(step, flow, block)
        state.failures.append({"block": block.id, "endpoint": endpoint.name,
                               "status": response.status, "error": response.error})
        return self._after_failure(step, flow, block)

    def _after_failure(self, step: Step, flow: Flow, block: DataBlock) -> Block | None:
        if block.on_error is not None:
            return self._follow(step, flow, block, "on_error")
        return self._continue(step, flow, block)


def _region(ctx: Mapping[str, Any]) -> str | None:
    """The visitor's country: the default region for phone numbers and dates."""
    visitor = ctx.get("visitor")
    country = visitor.get("country") if isinstance(visitor, Mapping) else None
    return country if isinstance(country, str) else None


def _set_profile(profile: dict[str, Any], field_name: str, value: Any) -> None:
    """``name`` / ``email`` / ``phone`` / ``attributes.<key>`` → the profile overlay."""
    if field_name.startswith("attributes."):
        profile.setdefault("attributes", {})[field_name.split(".", 1)[1]] = value
    else:
        profile[field_name] = value


__all__ = ["Click", "Elapse", "FlowError", "Interpreter", "Say", "Step", "SubmitForm"]
