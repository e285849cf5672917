"""Turn the engine's structured bot messages into lines for the terminal.

A :class:`Line` is plain data (its text, what kind of line it is, the block it came from);
:func:`plain` writes it as text, :func:`styled` as a ``rich`` Text for a colour terminal.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flowctl.engine.messages import BotMessage, MessageKind

if TYPE_CHECKING:
    from rich.text import Text

    from flowctl.engine.calls import Call, Response

BOT = "bot> "
INDENT = " " * len(BOT)

#: kind → rich style
STYLES = {
    "bot": "",
    "option": "cyan",
    "link": "blue",
    "call": "yellow",
    "handoff": "magenta bold",
    "end": "green bold",
    "info": "dim",
    "error": "red",
    "state": "",
}


#: what a typed question expects, said under it (text questions say nothing)
EXPECT_HINTS = {
    "email": "an email address", "phone": "a phone number", "number": "a number",
    "integer": "a whole number", "date": "a date", "url": "a web address", "yes_no": "yes or no",
}


@dataclass(frozen=True)
class Line:
    text: str
    kind: str = "bot"  # bot | option | link | call | handoff | end | info | error | state
    block: str | None = None  # shown after the text, dimmed

    def __str__(self) -> str:
        return plain(self)


def plain(line: Line) -> str:
    if line.block:
        first, _, rest = line.text.partition("\n")
        return f"{first}  [{line.block}]" + (f"\n{rest}" if rest else "")
    return line.text


def styled(line: Line) -> Text:
    from rich.text import Text

    text = Text()
    first, _, rest = line.text.partition("\n")
    style = STYLES.get(line.kind, "")
    if line.kind == "bot" and first.startswith(BOT):
        text.append(BOT, style="bold cyan")
        text.append(first[len(BOT):], style=style)
    else:
        text.append(first, style=style)
    if line.block:
        text.append(f"  [{line.block}]", style="dim")
    if rest:
        text.append("\n" + rest, style=style)
    return text


def _bot(text: str, block: str | None) -> Line:
    lines = text.splitlines() or [""]
    body = "\n".join([BOT + lines[0], *(INDENT + part if part else "" for part in lines[1:])])
    return Line(body, "bot", block)


def numbered(labels: Iterable[str]) -> str:
    return "  " + "  ".join(f"{number}) {label}" for number, label in enumerate(labels, 1))


def render_message(message: BotMessage) -> list[Line]:
    """One bot message of the engine → lines (forms: only the title; the session asks the fields)."""
    kind, block, text = message.kind, message.block, message.text
    out: list[Line] = []
    if kind == MessageKind.HANDOFF:
        if text:
            out.append(_bot(text, block))
        department = message.department or "any department"
        priority = message.priority or "normal"
        out.append(Line(f"— handed to {department} ({priority})", "handoff", None if text else block))
        return out
    if kind == MessageKind.FORM:
        out.append(_bot(message.title or "Please fill in this form.", block))
        return out
    if kind == MessageKind.ARTICLES:
        if not message.articles:
            return [Line("bot> (no articles found)", "info", block)]
        out.append(_bot("Articles that may help:", block))
        for number, article in enumerate(message.articles, 1):
            url = article.url
            out.append(Line(f"  {number}. {article.title}" + (f" — {url}" if url else ""), "link"))
        return out
    if text:
        out.append(_bot(text, block))
    if message.image is not None:
        out.append(Line(f"  [image: {message.image.alt}]({message.image.url})", "link",
                        None if out else block))
    if message.buttons:
        links = "  ".join(f"[{b.label}]({b.url})" for b in message.buttons)
        out.append(Line("  " + links, "link", None if out else block))
    if message.choices:
        out.append(Line(numbered(message.choices), "option"))
    elif message.expect in EXPECT_HINTS:
        out.append(Line(f"  ({EXPECT_HINTS[message.expect]})", "info"))
    if not out:
        out.append(_bot("", block))
    return out


def compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str, separators=(", ", ": "))


def render_call(request: Call, response: Response) -> Line:
    """``call> POST crm {"email": ...} → 200 {}``."""
    parts = [f"call> {request.method} {request.endpoint}"]
    if request.query:
        parts.append("?" + "&".join(f"{k}={v}" for k, v in request.query.items()))
    if request.body is not None and request.attempt == 1:  # retries send the same body
        parts.append(compact(request.body))
    outcome = response.error or str(response.status)
    if response.ok and response.json is not None:
        outcome += " " + compact(response.json)
    parts.append(f"→ {outcome}")
    if request.attempt > 1:
        parts.append(f"(attempt {request.attempt})")
    return Line(" ".join(parts), "call", request.block or None)


def render_field_prompt(name: str, label: str, kind: str, required: bool) -> str:
    flags = kind + (", required" if required else ", optional: empty to skip")
    if kind == "checkbox":
        flags += ", y/n"
    return f"  {label or name} ({flags}): "
