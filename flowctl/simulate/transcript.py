"""Transcript lines: a bot message, a script step and a turn as one line of text each."""

from __future__ import annotations

import json

from flowctl.engine.messages import BotMessage, MessageKind
from flowctl.model.visitors import BotStep, ClickStep, FormStep, SayStep, WaitStep, thaw
from flowctl.model.visitors import Step as ScriptStep
from flowctl.simulate.results import Turn


def describe_message(message: BotMessage) -> str:
    """One transcript line for a bot message (without the ``bot:`` prefix)."""
    kind = message.kind
    parts = [message.shown_text] if message.shown_text else []
    if kind == MessageKind.CHOICES:
        parts.append("[" + " | ".join(message.choices) + "]")
    elif kind == MessageKind.BUTTONS:
        parts.append("[" + " | ".join(f"{b.label} -> {b.url}" for b in message.buttons) + "]")
    if message.image is not None:
        parts.append(f"[image: {message.image.url}]")
    if kind == MessageKind.FORM:
        parts.append("[form: " + ", ".join(f.name for f in message.fields) + "]")
    elif kind == MessageKind.ARTICLES:
        parts.append("[articles: " + " | ".join(a.title for a in message.articles) + "]")
    elif kind == MessageKind.HANDOFF:
        parts.append(f"[handoff to {message.department or 'any department'}]")
    return " ".join(parts) if parts else f"[{kind}]"


def describe_step(step: ScriptStep) -> str:
    """One line of the expected transcript for a script step."""
    if isinstance(step, BotStep):
        parts = [step.text] if step.text is not None else []
        if step.choices is not None:
            parts.append("[" + " | ".join(step.choices) + "]")
        if step.buttons is not None:
            parts.append("[" + " | ".join(step.buttons) + "]")
        if step.image is not None:
            parts.append(f"[image: {step.image}]")
        if step.kind is not None:
            parts.append(f"(type {step.kind})")
        return "bot: " + (" ".join(parts) if parts else "(any message)")
    if isinstance(step, SayStep):
        return f"visitor: {step.text}"
    if isinstance(step, ClickStep):
        return f"visitor: [click] {step.label}"
    if isinstance(step, FormStep):
        return "visitor: [form] " + json.dumps(thaw(step.values), ensure_ascii=False, default=str)
    if isinstance(step, WaitStep):
        return f"wait: {step.seconds:g} s"
    return "agents: " + json.dumps(thaw(step.agents), ensure_ascii=False, default=str)


def turn_line(turn: Turn) -> str:
    who = "visitor" if turn.who == "you" else turn.who
    return f"{who}: {turn.text}"
