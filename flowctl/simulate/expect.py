"""Does what happened match what the visitors file expects?  Each check returns a problem
in words, or None."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from flowctl.engine.calls import Call
from flowctl.engine.host import Exchange
from flowctl.engine.messages import BotMessage
from flowctl.model.visitors import BotStep, ExpectedRequest, thaw
from flowctl.simulate.match import subset_mismatch, text_matches
from flowctl.simulate.transcript import describe_message


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
