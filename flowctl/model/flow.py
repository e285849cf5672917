"""A flow: when it starts and the blocks it runs."""

from __future__ import annotations

from dataclasses import dataclass, field

from flowctl.model.blocks import Block, Ref
from flowctl.model.span import SourceSpan
from flowctl.model.values import Condition

EVENT_TYPES = (
    "page_view", "chat_opened", "visitor_message", "visitor_idle", "visitor_identified",
    "conversation_closed", "custom",
)
ONCE_POLICIES = ("per_visitor", "per_conversation", "always")


@dataclass(frozen=True, slots=True)
class EventRef:
    """An event a flow starts on: ``page_view``, or ``custom:<name>``."""

    type: str
    span: SourceSpan
    name: str = ""  # for custom events

    def __str__(self) -> str:
        return f"custom:{self.name}" if self.type == "custom" else self.type

    @classmethod
    def parse(cls, text: str, span: SourceSpan) -> EventRef:
        if text.startswith("custom:"):
            return cls("custom", span, text.removeprefix("custom:"))
        return cls(text, span)


@dataclass(frozen=True, slots=True)
class DateWindow:
    """``active: {from, until}``: ISO dates, both inclusive; either may be open."""

    start: str | None
    end: str | None
    span: SourceSpan
    start_span: SourceSpan | None = None
    end_span: SourceSpan | None = None


@dataclass(frozen=True, slots=True)
class Start:
    on: tuple[EventRef, ...]
    span: SourceSpan
    when: Condition | None = None
    schedule: Ref | None = None
    active: DateWindow | None = None
    once: str = "per_conversation"
    priority: int = 0
    priority_span: SourceSpan | None = None


@dataclass(frozen=True, eq=False)
class Flow:
    """One flow.  Compared and hashed by identity, so graph queries can cache per flow."""

    id: str
    span: SourceSpan  # the ``flow:`` key
    blocks: tuple[Block, ...]
    title: str = ""
    description: str = ""
    start: Start | None = None
    by_id: dict[str, Block] = field(default_factory=dict, repr=False)

    @property
    def file(self) -> str:
        return self.span.file

    @property
    def entry(self) -> Block | None:
        return self.blocks[0] if self.blocks else None

    def block(self, block_id: str) -> Block | None:
        return self.by_id.get(block_id)

    def following(self, block: Block) -> Block | None:
        """The block after ``block`` in the list, where control falls through to."""
        index = self.blocks.index(block)
        return self.blocks[index + 1] if index + 1 < len(self.blocks) else None
