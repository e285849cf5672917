"""What each block type does when control reaches it: one function per type.

:func:`run_block` looks the function up by the block's class.  Each returns the next block
to run, or None when the flow now waits for the visitor or has ended; transitions go through
the interpreter (:meth:`Interpreter.follow`, :meth:`Interpreter.proceed`), so every edge
taken is recorded.  What a *waiting* block does with the visitor's reply lives in
:mod:`flowctl.engine.replies`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from flowctl.engine.ports import Request, Response
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

if TYPE_CHECKING:
    from flowctl.engine.interpreter import Interpreter, Step

#: How many flows one conversation may chain with goto.
MAX_GOTO = 20

Context = Mapping[str, Any]


def run_block(it: Interpreter, step: Step, flow: Flow, block: Block, context: Context) -> Block | None:
    """Run one block; return the next block to run (None: waiting or ended)."""
    runner = _RUNNERS.get(type(block))
    if runner is None:  # pragma: no cover - every block type of the model has a runner
        from flowctl.engine.interpreter import FlowError

        raise FlowError(f"block type {block.type} is not supported")
    return runner(it, step, flow, block, context)


# -- messages to the visitor -------------------------------------------------------------------


def question_message(it: Interpreter, block: QuestionBlock, ctx: Context) -> dict[str, Any]:
    message: dict[str, Any] = {
        "type": "choices" if block.choices else "text",
        "block": block.id,
        "text": it.evaluator.render(block.text, ctx) if block.text is not None else "",
        "expect": block.expect,
    }
    if block.choices:
        message["choices"] = [choice.label for choice in block.choices]
        message["style"] = block.style
    return message


def form_message(it: Interpreter, block: FormBlock, ctx: Context) -> dict[str, Any]:
    ev = it.evaluator
    return {
        "type": "form",
        "block": block.id,
        "title": ev.render(block.title, ctx) if block.title is not None else "",
        "fields": [{"name": f.name, "label": ev.render(f.label, ctx) if f.label else f.name,
                    "type": f.type, "required": f.required, "options": list(f.options)}
                   for f in block.form_fields],
        "submit_label": ev.render(block.submit_label, ctx) if block.submit_label else "Send",
    }


# -- one function per block type ---------------------------------------------------------------


def _message(it: Interpreter, step: Step, flow: Flow, block: MessageBlock,
             context: Context) -> Block | None:
    ev, ctx = it.evaluator, it.context_of(step.state, context)
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
    return it.proceed(step, flow, block)


def _question(it: Interpreter, step: Step, flow: Flow, block: QuestionBlock,
              context: Context) -> Block | None:
    it.wait(step.state, "answer")
    step.outputs.append(question_message(it, block, it.context_of(step.state, context)))
    return None


def _form(it: Interpreter, step: Step, flow: Flow, block: FormBlock,
          context: Context) -> Block | None:
    it.wait(step.state, "form")
    step.outputs.append(form_message(it, block, it.context_of(step.state, context)))
    return None


def _assistant(it: Interpreter, step: Step, flow: Flow, block: AIBlock,
               context: Context) -> Block | None:
    it.wait(step.state, "ai")
    step.state.turns = 0
    return None


def _branch(it: Interpreter, step: Step, flow: Flow, block: BranchBlock,
            context: Context) -> Block | None:
    ctx = it.context_of(step.state, context)
    for number, case in enumerate(block.cases, 1):
        if it.evaluator.test(case.when, ctx):
            return it.follow(step, flow, block, "case", f"case {number}")
    if block.default is not None:
        return it.follow(step, flow, block, "default")
    return it.proceed(step, flow, block)


def _tag(it: Interpreter, step: Step, flow: Flow, block: TagBlock,
         context: Context) -> Block | None:
    state, ctx = step.state, it.context_of(step.state, context)
    for tag in block.add:
        name = it.evaluator.render(tag, ctx).strip()
        if name and name not in state.tags:
            state.tags.append(name)
    for tag in block.remove:
        name = it.evaluator.render(tag, ctx).strip()
        if name in state.tags:
            state.tags.remove(name)
    return it.proceed(step, flow, block)


def _set(it: Interpreter, step: Step, flow: Flow, block: SetBlock,
         context: Context) -> Block | None:
    for target, value in block.values:  # each value sees the ones set before it
        step.state.variables[target.name] = it.evaluator.value(
            value, it.context_of(step.state, context))
    return it.proceed(step, flow, block)


def _articles(it: Interpreter, step: Step, flow: Flow, block: ArticlesBlock,
              context: Context) -> Block | None:
    ctx = it.context_of(step.state, context)
    query = it.evaluator.render(block.query, ctx) if block.query is not None else ""
    collection = block.collection.name if block.collection else None
    found = it.ports.knowledge.search(query, collection, block.limit)
    step.outputs.append({"type": "articles", "block": block.id, "articles": found})
    if block.save is not None:
        step.state.variables[block.save.name] = found
    return it.proceed(step, flow, block)


def _escalate(it: Interpreter, step: Step, flow: Flow, block: EscalateBlock,
              context: Context) -> Block | None:
    department = block.department.name if block.department else None
    if it.ports.agents.online(department) <= 0 and block.when_unavailable is not None:
        return it.follow(step, flow, block, "when_unavailable")
    ctx, state = it.context_of(step.state, context), step.state
    handoff: dict[str, Any] = {"type": "handoff", "block": block.id,
                               "department": department, "priority": block.priority}
    if block.text is not None:
        handoff["text"] = it.evaluator.render(block.text, ctx)
    step.outputs.append(handoff)
    state.department = department
    if block.note is not None:
        state.agent_note = it.evaluator.render(block.note, ctx)
    it.record(step, flow, block, "end")
    it.end(step, "escalated")
    return None


def _end(it: Interpreter, step: Step, flow: Flow, block: EndBlock,
         context: Context) -> Block | None:
    if block.text is not None:
        step.outputs.append({"type": "text", "block": block.id,
                             "text": it.evaluator.render(block.text, it.context_of(step.state,
                                                                                   context))})
    it.record(step, flow, block, "end")
    it.end(step, block.outcome)
    return None


def _goto(it: Interpreter, step: Step, flow: Flow, block: GotoBlock,
          context: Context) -> Block | None:
    state = step.state
    it.record(step, flow, block, "end")
    next_flow = it.flows.get(block.flow.name)
    if next_flow is None or len(state.flows) >= MAX_GOTO:
        state.failures.append({"block": block.id, "error": f"goto {block.flow.name}"})
        it.end(step, f"goto:{block.flow.name}")
        return None
    state.outcome = f"goto:{next_flow.id}"
    state.outcomes.append([flow.id, state.outcome])
    it.enter_flow(step, next_flow, context)
    return None


def _data(it: Interpreter, step: Step, flow: Flow, block: DataBlock,
          context: Context) -> Block | None:
    """Call the endpoint (with its retries); save the JSON; ``on_error`` after failures."""
    config = it.project.config
    endpoint = config.endpoints.get(block.endpoint.name) if config else None
    state, ctx, ev = step.state, it.context_of(step.state, context), it.evaluator
    if endpoint is None:
        state.failures.append({"block": block.id, "endpoint": block.endpoint.name,
                               "error": "unknown endpoint"})
        return _after_failure(it, step, flow, block)
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
        response = it.ports.endpoints.call(request)
        step.requests.append((request, response))
        if response.ok or not response.retryable:
            break
    if response.ok:
        if block.save is not None:
            state.variables[block.save.name] = response.json
        return it.proceed(step, flow, block)
    state.failures.append({"block": block.id, "endpoint": endpoint.name,
                           "status": response.status, "error": response.error})
    return _after_failure(it, step, flow, block)


def _after_failure(it: Interpreter, step: Step, flow: Flow, block: DataBlock) -> Block | None:
    if block.on_error is not None:
        return it.follow(step, flow, block, "on_error")
    return it.proceed(step, flow, block)


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
