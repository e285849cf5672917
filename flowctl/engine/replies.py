"""What a waiting block does with an input: a reply, a form, a message for the assistant,
the answer of a call, or the passing of time.

A question validates the answer (re-asking, then ``on_invalid``), a form validates its fields
(with the visitor's region) and updates the profile, the assistant answers until it hands
back, a data block saves the answer or takes ``on_error``; a question or form leaves by
``on_timeout`` once its timeout is due.  Each handler returns whether it took the input.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flowctl.engine.effects import CallSettled, ProfileSet
from flowctl.engine.inputs import Click, Elapse, Input, Responded, Say, SubmitForm
from flowctl.engine.ports import AssistantQuestion, AssistantReply
from flowctl.engine.runners import form_message, question_message, set_variable, settle_call
from flowctl.engine.state import ASSISTANT_HISTORY, WaitingFor
from flowctl.engine.validation import check_form, validate
from flowctl.model.blocks import AIBlock, Block, DataBlock, FormBlock, QuestionBlock
from flowctl.model.flow import Flow
from flowctl.model.graph import EdgeKind

if TYPE_CHECKING:
    from flowctl.engine.run import StepRun


def handle_input(run: StepRun, flow: Flow, block: Block, event: Input) -> bool:
    """Give ``event`` to the block the conversation waits at; False when it is not taken."""
    waiting = run.state.waiting_for
    if isinstance(event, Elapse):
        return _check_timeout(run, flow, block)
    if isinstance(event, Responded):
        return waiting == WaitingFor.RESPONSE and _responded(run, flow, block, event)
    if waiting == WaitingFor.ANSWER and isinstance(block, QuestionBlock) \
            and isinstance(event, Say | Click):
        return _answer(run, flow, block, event)
    if waiting == WaitingFor.FORM and isinstance(block, FormBlock) and isinstance(event, SubmitForm):
        return _submit(run, flow, block, event)
    if waiting == WaitingFor.AI and isinstance(block, AIBlock) and isinstance(event, Say | Click):
        return _ai_turn(run, flow, block, event)
    return False


def region_of(context: Mapping[str, Any]) -> str | None:
    """The visitor's country: the default region for phone numbers and dates."""
    visitor = context.get("visitor")
    country = visitor.get("country") if isinstance(visitor, Mapping) else None
    return country if isinstance(country, str) else None


def _answer(run: StepRun, flow: Flow, block: QuestionBlock, event: Say | Click) -> bool:
    state = run.state
    text = event.text if isinstance(event, Say) else event.label
    state.messages += 1
    result = validate(block, str(text), region=region_of(run.ctx()))
    if not result.ok:
        state.attempts += 1
        if state.attempts > block.retries:
            run.resume(flow, run.follow(flow, block, EdgeKind.ON_INVALID))
            return True
        if block.retry_text is not None:
            from flowctl.engine.messages import BotMessage, MessageKind

            run.say(BotMessage(MessageKind.TEXT, block.id,
                               run.evaluator.render(block.retry_text, run.ctx()), retry=True))
        run.say(question_message(run, block))
        run.restart_clock(block.timeout)
        return True
    if block.save is not None:
        set_variable(run, block.save.name, result.value)
    choice = result.choice
    if choice is not None and choice.next is not None:
        target = run.follow(flow, block, EdgeKind.CHOICE, choice.label)
    else:
        target = run.proceed(flow, block)
    run.resume(flow, target)
    return True


def _check_timeout(run: StepRun, flow: Flow, block: Block) -> bool:
    expires = run.state.expires_at
    if expires is None or run.now() < datetime.fromisoformat(expires):
        return False
    run.resume(flow, run.follow(flow, block, EdgeKind.ON_TIMEOUT))
    return True


def _submit(run: StepRun, flow: Flow, block: FormBlock, event: SubmitForm) -> bool:
    from flowctl.engine.messages import BotMessage, MessageKind

    state = run.state
    checked = check_form(block, event.values, region_of(run.ctx()))
    if checked.problems:
        run.say(BotMessage(MessageKind.TEXT, block.id, "Please check: " +
                           ", ".join(f"{name}: {why}" for name, why in checked.problems),
                           retry=True))
        run.say(form_message(run, block))
        run.restart_clock(block.timeout)
        return True
    for form_field in block.form_fields:
        if form_field.profile is not None and form_field.name in checked.values:
            _set_profile(state.visitor, form_field.profile.name, checked.values[form_field.name])
            run.log.append(ProfileSet(form_field.profile.name, checked.values[form_field.name]))
    if block.save is not None:
        set_variable(run, block.save.name, dict(checked.values))
    run.resume(flow, run.proceed(flow, block))
    return True


def _ai_turn(run: StepRun, flow: Flow, block: AIBlock, event: Say | Click) -> bool:
    from flowctl.engine.messages import BotMessage, MessageKind

    state = run.state
    state.messages += 1
    text = str(event.text if isinstance(event, Say) else event.label)
    instructions = (run.evaluator.render(block.instructions, run.ctx())
                    if block.instructions is not None else "")
    question = AssistantQuestion(block.assistant.name, flow.id, block.id, text, instructions,
                                 tuple(k.name for k in block.knowledge),
                                 tuple(dict(turn) for turn in state.assistant_log), state.id)
    reply = run.guard("assistant", lambda: run.ports.assistant.reply(question),
                      AssistantReply(handoff="no_answer"), block.id)
    reason = reply.handoff
    state.assistant_log.append({"role": "visitor", "text": text})
    if reply.text:
        run.say(BotMessage(MessageKind.TEXT, block.id, reply.text, assistant=True))
        state.assistant_log.append({"role": "assistant", "text": reply.text})
    del state.assistant_log[:-ASSISTANT_HISTORY]
    state.turns += 1  # every visitor message is a turn, answered or not
    if reason is None or reason not in block.handoff_when:
        if state.turns < block.max_turns:
            return True  # keep talking
        reason = "max_turns"  # turns are up, whatever handoff_when says
    if block.save is not None:
        set_variable(run, block.save.name, reason)
    run.resume(flow, run.proceed(flow, block))
    return True


def _responded(run: StepRun, flow: Flow, block: Block, event: Responded) -> bool:
    from flowctl.engine.calls import Call

    pending = run.state.pending
    if pending is None or pending.get("key") != event.key or not isinstance(block, DataBlock):
        return False
    call = Call.from_json(pending)
    run.state.pending = None
    run.log.append(CallSettled(call, event.response, event.attempts))
    run.resume(flow, settle_call(run, flow, block, event.response, ok=event.response.ok))
    return True


def _set_profile(profile: dict[str, Any], field_name: str, value: Any) -> None:
    """``name`` / ``email`` / ``phone`` / ``attributes.<key>`` → the profile overlay."""
    if field_name.startswith("attributes."):
        profile.setdefault("attributes", {})[field_name.split(".", 1)[1]] = value
    else:
        profile[field_name] = value

