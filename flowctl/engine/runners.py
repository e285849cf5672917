"""What each block type does when control reaches it: one function per type.

:func:`run_block` looks the function up by the block's class.  Each gets the step in
progress (:class:`~flowctl.engine.run.StepRun`) and returns the next block to run, or None
when the flow now waits or has ended; every transition goes through the step, so every
edge taken is in its log.  What a *waiting* block does with the reply is in
:mod:`flowctl.engine.replies`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flowctl.engine.calls import Call, call_key
from flowctl.engine.effects import CallMade, HandoffRequested, TagsChanged, VariableSet
from flowctl.engine.messages import ArticleLink, BotMessage, Button, FieldSpec, Image, MessageKind
from flowctl.engine.run import MAX_GOTO
from flowctl.engine.state import WaitingFor
from flowctl.model.blocks import (
    AIBlock,
    ArticlesBlock,
    Block,
    BranchBlock,
    DataBlock,
    DataRequestBlock,
    DataUpdateBlock,
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
from flowctl.model.graph import EdgeKind

if TYPE_CHECKING:
    from flowctl.engine.calls import Response
    from flowctl.engine.run import StepRun


def run_block(run: StepRun, flow: Flow, block: Block) -> Block | None:
    """Run one block; return the next block to run (None: waiting or ended)."""
    return _RUNNERS[type(block)](run, flow, block)


# -- messages to the visitor -------------------------------------------------------------------


def question_message(run: StepRun, block: QuestionBlock) -> BotMessage:
    ev, ctx = run.evaluator, run.ctx()
    text = ev.render(block.text, ctx) if block.text is not None else ""
    if block.choices:
        return BotMessage(MessageKind.CHOICES, block.id, text, expect=block.expect,
                          choices=tuple(choice.label for choice in block.choices),
                          style=block.style)
    return BotMessage(MessageKind.TEXT, block.id, text, expect=block.expect)


def form_message(run: StepRun, block: FormBlock) -> BotMessage:
    ev, ctx = run.evaluator, run.ctx()
    return BotMessage(
        MessageKind.FORM, block.id,
        title=ev.render(block.title, ctx) if block.title is not None else "",
        fields=tuple(FieldSpec(f.name, ev.render(f.label, ctx) if f.label else f.name, f.type,
                               f.required, tuple(f.options)) for f in block.form_fields),
        submit_label=ev.render(block.submit_label, ctx) if block.submit_label else "Send",
    )


def set_variable(run: StepRun, name: str, value: Any) -> None:
    run.state.variables[name] = value
    run.log.append(VariableSet(name, value))


# -- one function per block type ---------------------------------------------------------------


def _message(run: StepRun, flow: Flow, block: MessageBlock) -> Block | None:
    ev, ctx = run.evaluator, run.ctx()
    kind = MessageKind.TEXT
    image = None
    if block.image is not None:
        kind = MessageKind.IMAGE
        image = Image(ev.render(block.image.url, ctx),
                      ev.render(block.image.alt, ctx) if block.image.alt else "")
    buttons = tuple(Button(ev.render(b.label, ctx), ev.render(b.url, ctx)) for b in block.buttons)
    if buttons:
        kind = MessageKind.BUTTONS
    text = ev.render(block.text, ctx) if block.text is not None else ""
    run.say(BotMessage(kind, block.id, text, image=image, buttons=buttons,
                       delay=block.delay or None))
    return run.proceed(flow, block)


def _question(run: StepRun, flow: Flow, block: QuestionBlock) -> Block | None:
    run.wait(WaitingFor.ANSWER, block.timeout)
    run.say(question_message(run, block))
    return None


def _form(run: StepRun, flow: Flow, block: FormBlock) -> Block | None:
    run.wait(WaitingFor.FORM, block.timeout)
    run.say(form_message(run, block))
    return None


def _assistant(run: StepRun, flow: Flow, block: AIBlock) -> Block | None:
    run.wait(WaitingFor.AI)
    run.state.turns = 0
    return None


def _branch(run: StepRun, flow: Flow, block: BranchBlock) -> Block | None:
    ctx = run.ctx()
    for number, case in enumerate(block.cases, 1):
        if run.evaluator.test(case.when, ctx):
            return run.follow(flow, block, EdgeKind.CASE, f"case {number}")
    if block.default is not None:
        return run.follow(flow, block, EdgeKind.DEFAULT)
    return run.proceed(flow, block)


def _tag(run: StepRun, flow: Flow, block: TagBlock) -> Block | None:
    state, ctx = run.state, run.ctx()
    added: list[str] = []
    removed: list[str] = []
    for tag in block.add:
        name = run.evaluator.render(tag, ctx).strip()
        if name and name not in state.tags:
            state.tags.append(name)
            added.append(name)
    for tag in block.remove:
        name = run.evaluator.render(tag, ctx).strip()
        if name in state.tags:
            state.tags.remove(name)
            removed.append(name)
    if added or removed:
        run.log.append(TagsChanged(tuple(added), tuple(removed)))
    return run.proceed(flow, block)


def _set(run: StepRun, flow: Flow, block: SetBlock) -> Block | None:
    for target, value in block.values:  # each value sees the ones set before it
        set_variable(run, target.name, run.evaluator.value(value, run.ctx()))
    return run.proceed(flow, block)


def _articles(run: StepRun, flow: Flow, block: ArticlesBlock) -> Block | None:
    ctx = run.ctx()
    query = run.evaluator.render(block.query, ctx) if block.query is not None else ""
    collection = block.collection.name if block.collection else None
    found: list[ArticleLink] = run.guard(
        "knowledge", lambda: list(run.ports.knowledge.search(query, collection, block.limit)),
        [], block.id)
    run.say(BotMessage(MessageKind.ARTICLES, block.id, articles=tuple(found)))
    if block.save is not None:
        set_variable(run, block.save.name, [a.to_json() for a in found])
    return run.proceed(flow, block)


def _escalate(run: StepRun, flow: Flow, block: EscalateBlock) -> Block | None:
    department = block.department.name if block.department else None
    online = run.guard("agents", lambda: run.ports.agents.online(department), 0, block.id)
    if online <= 0 and block.when_unavailable is not None:
        return run.follow(flow, block, EdgeKind.WHEN_UNAVAILABLE)
    ctx, state = run.ctx(), run.state
    text = run.evaluator.render(block.text, ctx) if block.text is not None else ""
    run.say(BotMessage(MessageKind.HANDOFF, block.id, text, department=department,
                       priority=block.priority))
    state.department = department
    if block.note is not None:
        state.agent_note = run.evaluator.render(block.note, ctx)
    run.log.append(HandoffRequested(flow.id, block.id, department, block.priority,
                                    state.agent_note))
    run.record(flow, block, EdgeKind.END)
    run.end("escalated")
    return None


def _end(run: StepRun, flow: Flow, block: EndBlock) -> Block | None:
    if block.text is not None:
        run.say(BotMessage(MessageKind.TEXT, block.id, run.evaluator.render(block.text, run.ctx())))
    run.record(flow, block, EdgeKind.END)
    run.end(block.outcome)
    return None


def _goto(run: StepRun, flow: Flow, block: GotoBlock) -> Block | None:
    state = run.state
    run.record(flow, block, EdgeKind.END)
    next_flow = run.compiled.flows.get(block.flow.name)
    if next_flow is None or state.flows_run >= MAX_GOTO:
        why = (f"no flow '{block.flow.name}'" if next_flow is None
               else f"more than {MAX_GOTO} flows in one conversation")
        run.note("flow", f"goto {block.flow.name}: {why}", block.id)
        run.end(f"goto:{block.flow.name}")
        return None
    run.end(f"goto:{next_flow.id}")
    run.enter_flow(next_flow)
    return None


def _data(run: StepRun, flow: Flow, block: DataBlock) -> Block | None:
    """Make the call: the host performs it.  The flow waits for the answer when it saves it
    or has an ``on_error``; otherwise it goes on at once."""
    state, ctx, ev = run.state, run.ctx(), run.evaluator
    endpoint = run.compiled.endpoints.get(block.endpoint.name)
    visit = state.visits.get(block.id, 0) + 1
    state.visits[block.id] = visit
    if endpoint is None:
        run.note("endpoint", f"no endpoint '{block.endpoint.name}' in flowctl.yaml", block.id)
        return settle_call(run, flow, block, None, ok=False)
    default_method = "GET" if isinstance(block, DataRequestBlock) else endpoint.method
    headers = {key: ev.render(value, ctx) for key, value in endpoint.headers}
    if block.headers is not None:
        extra = ev.value(block.headers, ctx)
        if isinstance(extra, dict):
            headers.update({str(k): str(v) for k, v in extra.items()})
    query = ev.value(block.query, ctx) if block.query is not None else {}
    awaited = block.save is not None or block.on_error is not None
    call = Call(
        key=call_key(state.id or "conversation", block.id, visit), endpoint=endpoint.name,
        method=(block.method or default_method or "POST").upper(),
        url=ev.render(endpoint.url, ctx),
        body=ev.value(block.body, ctx) if block.body is not None else None,
        query=query if isinstance(query, dict) else {}, headers=headers,
        timeout=block.timeout or endpoint.timeout, retries=endpoint.retries, block=block.id,
        flow=flow.id, awaited=awaited, secrets=_secret_names(endpoint))
    run.log.append(CallMade(call))
    if not awaited:
        return run.proceed(flow, block)
    state.pending = call.to_json()
    run.wait(WaitingFor.RESPONSE)
    return None


def settle_call(run: StepRun, flow: Flow, block: DataBlock, response: Response | None,
                *, ok: bool) -> Block | None:
    """Where a data block goes once its call is answered: save and on, or ``on_error``."""
    if ok and response is not None:
        if block.save is not None:
            set_variable(run, block.save.name, response.json)
        return run.proceed(flow, block)
    if block.on_error is not None:
        return run.follow(flow, block, EdgeKind.ON_ERROR)
    return run.proceed(flow, block)


def _secret_names(endpoint: Any) -> tuple[str, ...]:
    """The ``${NAME}`` references of an endpoint's url and headers as written in flowctl.yaml."""
    import re

    sources = [endpoint.url.source, *(value.source for _, value in endpoint.headers)]
    return tuple(sorted({name for text in sources
                         for name in re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", text)}))


_RUNNERS: dict[type, Callable[..., Block | None]] = {
    MessageBlock: _message,
    QuestionBlock: _question,
    FormBlock: _form,
    AIBlock: _assistant,
    DataUpdateBlock: _data,
    DataRequestBlock: _data,
    BranchBlock: _branch,
    TagBlock: _tag,
    SetBlock: _set,
    ArticlesBlock: _articles,
    EscalateBlock: _escalate,
    EndBlock: _end,
    GotoBlock: _goto,
}
