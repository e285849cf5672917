"""What the bot sends: one typed record per message, in the runtime API's shape.

:meth:`BotMessage.to_json` is the structured message of the flow format and the runtime
API (``{"type": "text" | "image" | "buttons" | "choices" | "form" | "articles" |
"handoff", ...}``), never HTML; :meth:`BotMessage.from_json` reads it back.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class MessageKind(StrEnum):
    TEXT = "text"
    IMAGE = "image"
    BUTTONS = "buttons"
    CHOICES = "choices"
    FORM = "form"
    ARTICLES = "articles"
    HANDOFF = "handoff"


@dataclass(frozen=True, slots=True)
class Button:
    """A link button."""

    label: str
    url: str


@dataclass(frozen=True, slots=True)
class Image:
    url: str
    alt: str = ""


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of a form as the visitor sees it."""

    name: str
    label: str
    type: str = "text"
    required: bool = False
    options: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "type": self.type,
                "required": self.required, "options": list(self.options)}


@dataclass(frozen=True, slots=True)
class ArticleLink:
    """A knowledge article offered to the visitor."""

    title: str
    url: str = ""
    collection: str = ""

    def to_json(self) -> dict[str, str]:
        return {"title": self.title, "url": self.url, "collection": self.collection}


@dataclass(frozen=True, slots=True)
class BotMessage:
    """One message from the bot.  ``block`` is the block that sent it.

    ``retry`` marks a re-ask after an invalid answer, ``assistant`` a text written by the
    AI assistant.  A message block may carry text, an image and buttons at once; its
    ``kind`` is the richest of them (buttons over image over text).
    """

    kind: MessageKind
    block: str
    text: str = ""
    image: Image | None = None
    buttons: tuple[Button, ...] = ()
    choices: tuple[str, ...] = ()
    style: str | None = None  # how choices are shown (buttons, list...)
    expect: str | None = None  # what a question accepts (text, email, choice...)
    title: str = ""  # a form's title
    fields: tuple[FieldSpec, ...] = ()
    submit_label: str = ""
    articles: tuple[ArticleLink, ...] = ()
    department: str | None = None  # a handoff's department
    priority: str | None = None
    delay: float | None = None  # seconds to show "typing" first
    retry: bool = False
    assistant: bool = False

    @property
    def shown_text(self) -> str:
        """The text a person reads first: the text, or a form's title."""
        return self.text or (self.title if self.kind == MessageKind.FORM else "")

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": str(self.kind), "block": self.block}
        if self.text or self.kind in (MessageKind.TEXT, MessageKind.CHOICES):
            data["text"] = self.text
        if self.image is not None:
            data["image"] = {"url": self.image.url, "alt": self.image.alt}
        if self.buttons:
            data["buttons"] = [{"label": b.label, "url": b.url} for b in self.buttons]
        if self.kind == MessageKind.CHOICES:
            data["choices"] = list(self.choices)
            data["style"] = self.style
        if self.expect is not None:
            data["expect"] = self.expect
        if self.kind == MessageKind.FORM:
            data.update(title=self.title, fields=[f.to_json() for f in self.fields],
                        submit_label=self.submit_label)
        if self.kind == MessageKind.ARTICLES:
            data["articles"] = [a.to_json() for a in self.articles]
        if self.kind == MessageKind.HANDOFF:
            data.update(department=self.department, priority=self.priority)
        if self.delay:
            data["delay"] = self.delay
        if self.retry:
            data["retry"] = True
        if self.assistant:
            data["assistant"] = True
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BotMessage:
        image = data.get("image")
        return cls(
            kind=MessageKind(data["type"]), block=str(data.get("block", "")),
            text=str(data.get("text") or ""),
            image=Image(str(image.get("url", "")), str(image.get("alt", ""))) if image else None,
            buttons=tuple(Button(str(b["label"]), str(b["url"])) for b in data.get("buttons") or ()),
            choices=tuple(str(c) for c in data.get("choices") or ()),
            style=data.get("style"), expect=data.get("expect"),
            title=str(data.get("title") or ""),
            fields=tuple(FieldSpec(str(f["name"]), str(f.get("label") or f["name"]),
                                   str(f.get("type", "text")), bool(f.get("required")),
                                   tuple(str(o) for o in f.get("options") or ()))
                         for f in data.get("fields") or ()),
            submit_label=str(data.get("submit_label") or ""),
            articles=tuple(ArticleLink(str(a.get("title", "")), str(a.get("url") or ""),
                                       str(a.get("collection") or ""))
                           for a in data.get("articles") or ()),
            department=data.get("department"), priority=data.get("priority"),
            delay=data.get("delay"), retry=bool(data.get("retry")),
            assistant=bool(data.get("assistant")),
        )
