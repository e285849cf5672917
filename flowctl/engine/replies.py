"""What a waiting block does with the visitor's reply, or with the passing of time.

A question validates the answer (re-asking, then ``on_invalid``), a form validates its fields
and updates the profile, the assistant answers until it hands back; any of them leaves by
``on_timeout`` once its timeout has passed in silence.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flowctl.engine.inputs import Click, Elapse, Input, Say, SubmitForm
from flowctl.engine.runners import form_message, question_message
from flowctl.model.blocks import AIBlock, Block, Choice, FormBlock, QuestionBlock
from flowctl.model.flow import Flow

if TYPE_CHECKING:
    from flowctl.engine.interpreter import Interpreter, Step

#: Turns of the conversation with the assistant kept in the state and passed to it.
ASSISTANT_HISTORY = 20


def handle_reply(it: Interpreter, step: Step, flow: Flow, block: Block, event: Input,
                 context: Mapping[str, Any]) -> None:
    """Give ``event`` to the block the conversation waits on."""
    if isinstance(event, Elapse):
        check_timeout(it, step, flow, block, context)
    elif isinstance(block, QuestionBlock):
        _answer(it, step, flow, block, event, context)
    elif isinstance(block, FormBlock):
        _submit(it, step, flow, block, event, context)
    elif isinstance(block, AIBlock):
        _ai_turn(it, step, flow, block, event, context)


def _answer(it: Interpreter, step: Step, flow: Flow, block: QuestionBlock, event: Input,
            context: Mapping[str, Any]) -> None:
    from flowctl.engine.validation import validate

    state = step.state
    text = event.text if isinstance(event, Say) else getattr(event, "label", None)
    if text is None:
        return
    ctx = it.context_of(state, context)
    result = validate(block, str(text), region=_region(ctx))
    if not result.ok:
        state.attempts += 1
        if state.attempts > block.retries:
            it.resume(step, flow, it.follow(step, flow, block, "on_invalid"), context)
            return
        if block.retry_text is not None:
            step.outputs.append({"type": "text", "block": block.id, "retry": True,
                                 "text": it.evaluator.render(block.retry_text, ctx)})
        step.outputs.append(question_message(it, block, ctx))
        it.restart_clock(state)
        return
    if block.save is not None:
        state.variables[block.save.name] = result.value
    choice: Choice | None = result.choice
    if choice is not None and choice.next is not None:
        target = it.follow(step, flow, block, "choice", choice.label)
    else:
        target = it.proceed(step, flow, block)
    it.resume(step, flow, target, context)


def check_timeout(it: Interpreter, step: Step, flow: Flow, block: Block,
                   context: Mapping[str, Any]) -> None:
    timeout = getattr(block, "timeout", None)
    state = step.state
    if timeout is None or state.waiting_since is None:
        return
    waited = (it.ports.clock.now() - datetime.fromisoformat(state.waiting_since))
    if waited.total_seconds() + 1e-9 < timeout:
        return
    it.resume(step, flow, it.follow(step, flow, block, "on_timeout"), context)


def _submit(it: Interpreter, step: Step, flow: Flow, block: FormBlock, event: Input,
            context: Mapping[str, Any]) -> None:
    if not isinstance(event, SubmitForm):
        return  # typing while a form is open changes nothing
    from flowctl.engine.validation import validate_field

    state = step.state
    ctx = it.context_of(state, context)
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
        step.outputs.append(form_message(it, block, ctx))
        it.restart_clock(state)
        return
    for form_field in block.form_fields:
        if form_field.profile is not None and form_field.name in values:
            _set_profile(state.visitor, form_field.profile.name, values[form_field.name])
    if block.save is not None:
        state.variables[block.save.name] = values
    it.resume(step, flow, it.proceed(step, flow, block), context)


def _ai_turn(it: Interpreter, step: Step, flow: Flow, block: AIBlock, event: Input,
             context: Mapping[str, Any]) -> None:
    if not isinstance(event, Say | Click):
        return
    state = step.state
    text = event.text if isinstance(event, Say) else event.label
    ctx = it.context_of(state, context)
    instructions = (it.evaluator.render(block.instructions, ctx)
                    if block.instructions is not None else "")
    reply = it.ports.assistant.reply(
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
    it.resume(step, flow, it.proceed(step, flow, block), context)


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
