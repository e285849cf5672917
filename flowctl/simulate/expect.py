"""Does what happened match what the visitors file expects?  Each check returns a problem
in words, or None."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from flowctl.engine.calls import Call
from flowctl.engine.host import Exchange
from flowctl.engine.messages import BotMessage
from flowctl.model.visitors import BotStep, Expect, ExpectedRequest, thaw
from flowctl.simulate.match import subset_mismatch, text_matches
from flowctl.simulate.transcript import describe_message

if TYPE_CHECKING:
    from flowctl.simulate.visitor import VisitorRun


def bot_mismatch(step: BotStep, message: BotMessage) -> str | None:
    """Why ``message`` does not match the ``bot`` step; ``None`` when it does."""
    actual = describe_message(message)
    if step.kind is not None and message.kind != step.kind:
        return f"expected a bot message of type '{step.kind}', got '{message.kind}': {actual}"
    if step.text is not None and not text_matches(step.text, message.shown_text):
        return f"bot message does not match {step.text!r}: got {message.shown_text!r}"
    if step.choices is not None:
        got = list(message.choices)
        if got != list(step.choices):
            return f"expected choices {list(step.choices)}, got {got}"
    if step.buttons is not None:
        got = [b.label for b in message.buttons]
        if got != list(step.buttons):
            return f"expected buttons {list(step.buttons)}, got {got}"
    if step.image is not None:
        url = message.image.url if message.image is not None else ""
        if not text_matches(step.image, url):
            return f"expected image {step.image!r}, got {url or 'no image'!r}"
    return None


def request_mismatch(wanted: ExpectedRequest, call: Call) -> str | None:
    if call.endpoint != wanted.endpoint.name:
        return f"endpoint {call.endpoint}"
    if wanted.method is not None and wanted.method.upper() != call.method.upper():
        return f"method {call.method}"
    for part, value in (("body", call.body), ("query", call.query), ("headers", call.headers)):
        expected = getattr(wanted, part)
        if expected is not None:
            problem = subset_mismatch(thaw(expected), value)
            if problem:
                return f"{part}: {problem}"
    return None


def requests_mismatch(expected: Iterable[ExpectedRequest],
                      made: Sequence[Exchange]) -> tuple[str, ExpectedRequest] | None:
    """The first expected call not made in order (after the previous match), if any."""
    position = 0
    for wanted in expected:
        problems: list[str] = []
        for index in range(position, len(made)):
            problem = request_mismatch(wanted, made[index].call)
            if problem is None:
                position = index + 1
                break
            problems.append(problem)
        else:
            listed = "; ".join(f"{x.call.endpoint} {x.call.method} {json.dumps(x.call.body, default=str)}"
                               for x in made[position:]) or "none"
            closest = f"; closest: {problems[0]}" if problems else ""
            return (f"expected a call to '{wanted.endpoint.name}' that was not made "
                    f"(calls after the previous match: {listed}){closest}", wanted)
    return None


def check_expect(run: VisitorRun, expect: Expect) -> None:
    """Check the visitor's ``expect`` against the run; failures go to the run's result."""
    state = run.state
    result = run.result
    if state is None:
        return
    if expect.started is True and result.started is None:
        run.fail("no flow started", expect.span)
    if expect.flow is not None and expect.flow.name != result.started:
        ran = ", ".join(result.flows)
        run.fail(f"expected flow '{expect.flow.name}', but '{result.started}' started"
                 + (f" (flows run: {ran})" if len(result.flows) > 1 else ""), expect.flow.span)
    if expect.outcome is not None:
        # Any flow run counts: a flow that jumps with goto ends with `goto:<flow>` while
        # the conversation goes on in that flow.
        ended = result.outcomes
        if expect.outcome not in [e.outcome for e in ended]:
            if not ended:
                run.fail(f"expected outcome '{expect.outcome}', but the flow has not "
                         f"ended: {run.where()}", expect.span)
            else:
                got = ", ".join(f"'{e.flow}' ended with '{e.outcome}'" for e in ended)
                run.fail(f"expected outcome '{expect.outcome}', got: {got}"
                         + (f" (ended at block '{state.block}')" if state.ended else
                            f" ({run.where()})"), expect.span)
    if expect.department is not None and state.department != expect.department.name:
        got = f"'{state.department}'" if state.department else "no escalation"
        run.fail(f"expected department '{expect.department.name}', got {got}",
                 expect.department.span)
    if expect.tags is not None:
        missing = [t for t in expect.tags if t not in state.tags]
        if missing:
            run.fail(f"missing tags: {', '.join(missing)} (chat tags: "
                     f"{', '.join(state.tags) or 'none'})", expect.span)
    if expect.variables is not None:
        problem = subset_mismatch(thaw(expect.variables), state.variables)
        if problem:
            run.fail(f"variables: {problem}", expect.span)
    if expect.visitor is not None:
        profile = run.engine.context(state, run.context, run.ports)["visitor"]
        problem = subset_mismatch(thaw(expect.visitor), profile)
        if problem:
            run.fail(f"visitor: {problem}", expect.span)
    if expect.requests is not None:
        found = requests_mismatch(expect.requests, result.exchanges)
        if found is not None:
            run.fail(found[0], found[1].span)
    if expect.path is not None:
        wanted = [ref.name for ref in expect.path]
        if wanted != result.path:
            span = expect.path[0].span if expect.path else expect.span
            run.fail(f"expected path {' > '.join(wanted) or '(empty)'}, got "
                     f"{' > '.join(result.path) or '(empty)'}", span)
