"""Plain words for diagrams: start conditions, conditions, block summaries, edge labels.

``page.path.startswith('/pricing') and visitor.time_on_page >= 20`` becomes ``page path
starts with /pricing and visitor time on page ≥ 20``; anything it does not know stays as
written.  Text is shortened at a word with an ellipsis, never cut mid-word silently.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

from flowctl.model.blocks import (
    AIBlock,
    ArticlesBlock,
    Block,
    BranchBlock,
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
from flowctl.model.flow import Start
from flowctl.model.graph import Edge
from flowctl.model.values import AllOf, Condition, Expr, NotOf

LABEL_MAX = 40  # edge labels (choice labels, conditions) are cut to this many characters
START_WIDTH = 46  # the start node's clauses are wrapped at this width
LINE_WIDTH = 30  # node text is wrapped at this width

EXIT_WORDS = {
    "default": "otherwise",
    "on_invalid": "invalid answer",
    "on_timeout": "no reply",
    "on_error": "call failed",
    "when_unavailable": "no agent online",
}

EVENT_WORDS = {
    "page_view": "when a page is viewed",
    "chat_opened": "when a chat is opened",
    "visitor_message": "when the visitor sends a message",
    "visitor_idle": "when the visitor is idle",
    "visitor_identified": "when the visitor is identified",
    "conversation_closed": "when a conversation is closed",
}

ONCE_WORDS = {
    "per_visitor": "once per visitor",
    "per_conversation": "once per conversation",
    "always": "every time",
}


def shorten(text: str, limit: int = LABEL_MAX) -> str:
    """One line of at most ``limit`` characters, cut at a word with an ellipsis."""
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    if cut.count("(") > cut.count(")") and cut.rfind("(") > limit // 3:
        cut = cut[: cut.rfind("(")]  # never end inside parentheses: "not (within…"
    return cut.rstrip(" ,.;:-") + "…"


def wrap(text: str, width: int = LINE_WIDTH, max_lines: int = 3) -> list[str]:
    """Wrap ``text`` into at most ``max_lines`` lines; the last one ends in … when cut."""
    text = " ".join(str(text).split())
    if not text:
        return []
    lines = textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False)
    if len(lines) > max_lines:
        rest = " ".join(lines[max_lines - 1 :])
        lines = [*lines[: max_lines - 1], shorten(rest, width)]
    return lines


_STRING = r"'[^']*'|\"[^\"]*\""
_CALLS = [
    (re.compile(rf"([\w.]+)\.startswith\(\s*({_STRING})\s*\)"), r"\1 starts with \2"),
    (re.compile(rf"([\w.]+)\.endswith\(\s*({_STRING})\s*\)"), r"\1 ends with \2"),
    (re.compile(rf"within\(\s*({_STRING})\s*\)"), r"within \1"),
    (re.compile(rf"matches\(\s*([\w.]+)\s*,\s*({_STRING})\s*\)"), r"\1 matches \2"),
    (re.compile(r"contains_any\(\s*([\w.]+)\s*,\s*\[([^\]]*)\]\s*\)"), r"\1 mentions \2"),
    (re.compile(r"days_since\(\s*([\w.]+)\s*\)"), r"days since \1"),
    (re.compile(r"\bagents\.departments\.(\w+)"), r"agents online in \1"),
    (re.compile(r"\bagents\.online\b"), "agents online"),
]
_OPERATORS = [
    (re.compile(r"\s*>=\s*"), " ≥ "),
    (re.compile(r"\s*<=\s*"), " ≤ "),
    (re.compile(r"\s*!=\s*"), " is not "),
    (re.compile(r"\s*==\s*"), " is "),
    (re.compile(r"\bnot in\b"), "not one of"),
    (re.compile(r"(?<![\w'])in\s*\["), "one of ["),
]


def _outside_strings(text: str, func: Any) -> str:
    """Apply ``func`` to the parts of ``text`` that are not quoted strings."""
    parts = re.split(f"({_STRING})", text)
    return "".join(part if i % 2 else func(part) for i, part in enumerate(parts))


def humanize_expr(source: str) -> str:
    """A condition in plain words: ``page.path.startswith('/pricing')`` → ``page path starts
    with /pricing``.  Falls back to the expression itself for what it does not know."""
    text = " ".join(source.split())
    for pattern, repl in _CALLS:
        text = pattern.sub(repl, text)

    def words(part: str) -> str:
        for pattern, repl in _OPERATORS:
            part = pattern.sub(repl, part)
        part = re.sub(r"(?<=[a-z0-9])[._](?=[a-z])", " ", part)
        return part

    text = _outside_strings(text, words)
    text = re.sub(r"\[((?:\s*(?:" + _STRING + r")\s*,?)+)\]",
                  lambda m: ", ".join(s[1:-1] for s in re.findall(_STRING, m.group(1))), text)
    text = re.sub(_STRING, lambda m: m.group(0)[1:-1], text)
    return " ".join(text.split())


def condition_text(condition: Condition, *, nested: bool = False) -> str:
    """A condition tree as one readable line (``and`` / ``or`` / ``not``)."""
    if isinstance(condition, Expr):
        text = humanize_expr(condition.source)
        return f"({text})" if nested and re.search(r"\b(and|or)\b", text) else text
    if isinstance(condition, NotOf):
        return f"not ({condition_text(condition.item)})"
    joiner = " and " if isinstance(condition, AllOf) else " or "
    text = joiner.join(condition_text(item, nested=True) for item in condition.items)
    return f"({text})" if nested and len(condition.items) > 1 else text


def condition_lines(condition: Condition) -> list[str]:
    """A top-level ``all:`` as one line per item, anything else as one line."""
    if isinstance(condition, AllOf):
        return [condition_text(item) for item in condition.items]
    return [condition_text(condition)]


def start_lines(start: Start | None) -> list[str]:
    """The start condition in plain words, one clause a line."""
    if start is None:
        return ["only when another flow goes to it"]
    out: list[str] = []
    events = []
    for event in start.on:
        if event.type == "custom":
            events.append(f"on custom event {event.name}")
        else:
            events.append(EVENT_WORDS.get(event.type, f"on {event.type}"))
    if events:
        out.append(" or ".join(events))
    if start.when is not None:
        for i, clause in enumerate(condition_lines(start.when)):
            out.append(("if " if i == 0 else "and ") + clause)
    if start.schedule is not None:
        out.append(f"during {start.schedule.name}")
    if start.active is not None:
        window = start.active
        if window.start and window.end:
            out.append(f"from {window.start} until {window.end}")
        elif window.start:
            out.append(f"from {window.start}")
        elif window.end:
            out.append(f"until {window.end}")
    extra = [ONCE_WORDS.get(start.once, start.once)]
    if start.priority:
        extra.append(f"priority {start.priority}")
    out.append(", ".join(extra))
    wrapped: list[str] = []
    for line in out:
        wrapped.extend(wrap(line, START_WIDTH, max_lines=4))
    return wrapped


def template_text(value: Any) -> str:
    return "" if value is None else str(getattr(value, "source", value))


def block_lines(block: Block) -> list[str]:
    """The details under a block's id: what it says or does, shortly."""
    if isinstance(block, MessageBlock):
        text = template_text(block.text)
        lines = wrap(f"“{text}”") if text else []
        if block.buttons:
            lines.append(shorten("buttons: " + ", ".join(template_text(b.label) for b in block.buttons),
                                 LINE_WIDTH + 6))
        if block.image is not None and not text:
            lines.append("image")
        return lines
    if isinstance(block, QuestionBlock):
        lines = wrap(f"“{template_text(block.text)}”") if block.text else []
        detail = [] if block.expect in ("choice", "text") or block.choices else [block.expect]
        if block.choices and not any(c.next for c in block.choices):
            detail.append(shorten(" | ".join(c.label for c in block.choices), LINE_WIDTH))
        if detail:
            lines.append(" ".join(detail))
        if block.save is not None:
            lines.append(f"→ {block.save.name}")
        return lines
    if isinstance(block, FormBlock):
        lines = wrap(template_text(block.title), max_lines=2) if block.title else []
        names = ", ".join(f.name for f in block.form_fields)
        if names:
            lines.append(shorten(f"fields: {names}", LINE_WIDTH + 6))
        return lines
    if isinstance(block, AIBlock):
        return [f"assistant {block.assistant.name}, ≤ {block.max_turns} turns"]
    if isinstance(block, DataBlock):
        method = block.method or ("GET" if isinstance(block, DataRequestBlock) else "")
        call = f"{method} {block.endpoint.name}".strip()
        if block.save is not None:
            call += f" → {block.save.name}"
        return [call]
    if isinstance(block, TagBlock):
        tags = [f"+{template_text(t)}" for t in block.add] + [f"−{template_text(t)}" for t in block.remove]
        return wrap(" ".join(tags), max_lines=2)
    if isinstance(block, EscalateBlock):
        who = block.department.name if block.department else "any department"
        return [f"to {who} ({block.priority})"]
    if isinstance(block, EndBlock):
        return [f"outcome: {block.outcome}"]
    if isinstance(block, SetBlock):
        lines = [shorten(f"{name.name} = {_value_text(value)}", LINE_WIDTH + 6)
                 for name, value in block.values[:3]]
        if len(block.values) > 3:
            lines.append(f"… and {len(block.values) - 3} more")
        return lines
    if isinstance(block, ArticlesBlock):
        lines = wrap(f"search “{template_text(block.query)}”", max_lines=2) if block.query else []
        if block.collection is not None:
            lines.append(f"in {block.collection.name}")
        return lines
    if isinstance(block, GotoBlock):
        return [f"go to flow {block.flow.name}"]
    return []


def _value_text(value: Any) -> str:
    """A value of a ``set`` block as written: a template's source, a literal as YAML shows it."""
    if hasattr(value, "source"):
        return str(value.source)
    inner = getattr(value, "value", value)
    return "null" if inner is None else str(inner).lower() if isinstance(inner, bool) else str(inner)


def edge_label(edge: Edge, block: Block | None) -> str:
    """Choice label, shortened branch condition, or the plain words for an error exit."""
    if edge.kind == "choice":
        return shorten(edge.label)
    if edge.kind == "case" and isinstance(block, BranchBlock):
        number = int(edge.label.split()[-1]) if edge.label.split()[-1].isdigit() else 0
        if 0 < number <= len(block.cases):
            return shorten(condition_text(block.cases[number - 1].when))
        return shorten(edge.label)
    if edge.kind == "on_timeout" and isinstance(block, QuestionBlock | FormBlock) and block.timeout:
        return f"no reply in {block.timeout:g}s"
    if edge.kind == "fallthrough" and isinstance(block, BranchBlock):
        return EXIT_WORDS["default"]  # no case matched and no `default`: the next block
    if edge.kind == "next" and isinstance(block, QuestionBlock) and block.choices:
        return "other answer" if block.allow_other else "other choices"
    return EXIT_WORDS.get(edge.kind, "")
