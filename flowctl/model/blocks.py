"""The block types of a flow, as frozen dataclasses.

Every block has an ``id``, a ``span`` (where its mapping starts), an optional ``next`` and
``note``.  References to other blocks, variables and project entities are :class:`Ref`
values so that every one of them can be reported at its own line and column.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import ClassVar, Union

from flowctl.model.span import SourceSpan
from flowctl.model.values import Condition, Template, Value


@dataclass(frozen=True, slots=True)
class Ref:
    """A name that refers to something else: a block, a variable, an endpoint..."""

    name: str
    span: SourceSpan

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class Exit:
    """A way out of a block that the author wrote down: its kind, label and target."""

    kind: str  # next | choice | case | default | on_invalid | on_timeout | on_error | when_unavailable
    target: Ref
    label: str = ""


@dataclass(frozen=True, kw_only=True)
class BlockBase:
    id: str
    span: SourceSpan
    next: Ref | None = None
    note: Template | None = None
    fields: tuple[str, ...] = field(default=(), compare=False, repr=False)
    field_spans: dict[str, SourceSpan] = field(default_factory=dict, compare=False, repr=False)

    type: ClassVar[str] = ""
    waits: ClassVar[bool] = False  # does the block wait for the visitor?

    def span_of(self, name: str) -> SourceSpan:
        """The position of field ``name`` (its key), or of the block when it is absent."""
        return self.field_spans.get(name, self.span)

    def exits(self) -> Iterator[Exit]:
        """The explicit exits of this block (``next`` last)."""
        if self.next is not None:
            yield Exit("next", self.next)

    def templates(self) -> Iterator[tuple[str, Template]]:
        """Every text template the block renders at run time, with its field name."""
        return iter(())

    def saves(self) -> Iterator[Ref]:
        """Variables this block writes."""
        return iter(())


@dataclass(frozen=True, slots=True)
class Image:
    url: Template
    alt: Template | None
    span: SourceSpan


@dataclass(frozen=True, slots=True)
class LinkButton:
    label: Template
    url: Template
    span: SourceSpan


@dataclass(frozen=True, kw_only=True)
class MessageBlock(BlockBase):
    type: ClassVar[str] = "message"
    text: Template | None = None
    image: Image | None = None
    buttons: tuple[LinkButton, ...] = ()
    delay: float | None = None

    def templates(self) -> Iterator[tuple[str, Template]]:
        if self.text is not None:
            yield "text", self.text
        if self.image is not None:
            yield "image.url", self.image.url
            if self.image.alt is not None:
                yield "image.alt", self.image.alt
        for button in self.buttons:
            yield "buttons.label", button.label
            yield "buttons.url", button.url


@dataclass(frozen=True, slots=True)
class Choice:
    label: str
    span: SourceSpan
    value: Value | None = None
    next: Ref | None = None

    @property
    def saved_value(self) -> object:
        from flowctl.model.values import Literal, Template

        if isinstance(self.value, Literal):
            return self.value.value
        if isinstance(self.value, Template):
            return self.value.source
        return self.label


@dataclass(frozen=True, slots=True)
class Pattern:
    source: str
    span: SourceSpan


QUESTION_EXPECTS = (
    "choice", "text", "email", "phone", "number", "integer", "date", "url", "yes_no", "regex",
)


@dataclass(frozen=True, kw_only=True)
class QuestionBlock(BlockBase):
    type: ClassVar[str] = "question"
    waits: ClassVar[bool] = True
    text: Template | None = None
    choices: tuple[Choice, ...] = ()
    style: str = "quick_replies"
    expect: str = "text"
    pattern: Pattern | None = None
    min: float | None = None
    max: float | None = None
    allow_other: bool = False
    save: Ref | None = None
    retries: int = 2
    retry_text: Template | None = None
    on_invalid: Ref | None = None
    timeout: float | None = None
    on_timeout: Ref | None = None

    @property
    def validated(self) -> bool:
        """Can an answer be rejected (a typed format, or choices without ``allow_other``)?"""
        if self.expect == "choice":
            return not self.allow_other
        if self.expect == "text":  # free text is checked only against a length or a pattern
            return self.pattern is not None or self.min is not None or self.max is not None
        return True

    @property
    def free_text(self) -> bool:
        """Does the question take free text (no choices, or choices with ``allow_other``)?"""
        return self.expect == "text" and (not self.choices or self.allow_other)

    def exits(self) -> Iterator[Exit]:
        for choice in self.choices:
            if choice.next is not None:
                yield Exit("choice", choice.next, choice.label)
        if self.on_invalid is not None:
            yield Exit("on_invalid", self.on_invalid)
        if self.on_timeout is not None:
            yield Exit("on_timeout", self.on_timeout)
        yield from BlockBase.exits(self)

    @property
    def continues(self) -> bool:
        """Does some answer leave through ``next`` (or fall through)?"""
        if not self.choices or self.allow_other:
            return True
        return any(choice.next is None for choice in self.choices)

    def templates(self) -> Iterator[tuple[str, Template]]:
        if self.text is not None:
            yield "text", self.text
        if self.retry_text is not None:
            yield "retry_text", self.retry_text

    def saves(self) -> Iterator[Ref]:
        if self.save is not None:
            yield self.save


@dataclass(frozen=True, slots=True)
class FormField:
    name: str
    span: SourceSpan
    label: Template | None = None
    type: str = "text"
    required: bool = False
    options: tuple[str, ...] = ()
    profile: Ref | None = None


@dataclass(frozen=True, kw_only=True)
class FormBlock(BlockBase):
    type: ClassVar[str] = "form"
    waits: ClassVar[bool] = True
    title: Template | None = None
    form_fields: tuple[FormField, ...] = ()
    submit_label: Template | None = None
    save: Ref | None = None
    timeout: float | None = None
    on_timeout: Ref | None = None

    def exits(self) -> Iterator[Exit]:
        if self.on_timeout is not None:
            yield Exit("on_timeout", self.on_timeout)
        yield from BlockBase.exits(self)

    def templates(self) -> Iterator[tuple[str, Template]]:
        if self.title is not None:
            yield "title", self.title
        for form_field in self.form_fields:
            if form_field.label is not None:
                yield "fields.label", form_field.label
        if self.submit_label is not None:
            yield "submit_label", self.submit_label

    def saves(self) -> Iterator[Ref]:
        if self.save is not None:
            yield self.save


HANDOFF_REASONS = ("no_answer", "asks_for_human", "max_turns")


@dataclass(frozen=True, kw_only=True)
class AIBlock(BlockBase):
    type: ClassVar[str] = "ai"
    waits: ClassVar[bool] = True
    assistant: Ref
    instructions: Template | None = None
    knowledge: tuple[Ref, ...] = ()
    max_turns: int = 5
    handoff_when: tuple[str, ...] = HANDOFF_REASONS
    save: Ref | None = None

    def templates(self) -> Iterator[tuple[str, Template]]:
        if self.instructions is not None:
            yield "instructions", self.instructions

    def saves(self) -> Iterator[Ref]:
        if self.save is not None:
            yield self.save


@dataclass(frozen=True, kw_only=True)
class DataBlock(BlockBase):
    """Common shape of ``data_update`` and ``data_request``."""

    endpoint: Ref
    method: str | None = None
    body: Value | None = None
    query: Value | None = None
    headers: Value | None = None
    save: Ref | None = None
    timeout: float | None = None
    on_error: Ref | None = None

    def exits(self) -> Iterator[Exit]:
        if self.on_error is not None:
            yield Exit("on_error", self.on_error)
        yield from BlockBase.exits(self)

    def saves(self) -> Iterator[Ref]:
        if self.save is not None:
            yield self.save


@dataclass(frozen=True, kw_only=True)
class DataUpdateBlock(DataBlock):
    type: ClassVar[str] = "data_update"


@dataclass(frozen=True, kw_only=True)
class DataRequestBlock(DataBlock):
    type: ClassVar[str] = "data_request"


@dataclass(frozen=True, slots=True)
class Case:
    when: Condition
    next: Ref
    span: SourceSpan


@dataclass(frozen=True, kw_only=True)
class BranchBlock(BlockBase):
    type: ClassVar[str] = "branch"
    cases: tuple[Case, ...] = ()
    default: Ref | None = None

    def exits(self) -> Iterator[Exit]:
        for number, case in enumerate(self.cases, 1):
            yield Exit("case", case.next, f"case {number}")
        if self.default is not None:
            yield Exit("default", self.default)
        yield from BlockBase.exits(self)


@dataclass(frozen=True, kw_only=True)
class TagBlock(BlockBase):
    type: ClassVar[str] = "tag"
    add: tuple[Template, ...] = ()
    remove: tuple[Template, ...] = ()

    def templates(self) -> Iterator[tuple[str, Template]]:
        for tag in self.add:
            yield "add", tag
        for tag in self.remove:
            yield "remove", tag


ESCALATION_PRIORITIES = ("low", "normal", "high", "urgent")


@dataclass(frozen=True, kw_only=True)
class EscalateBlock(BlockBase):
    type: ClassVar[str] = "escalate"
    department: Ref | None = None
    priority: str = "normal"
    text: Template | None = None
    when_unavailable: Ref | None = None

    def exits(self) -> Iterator[Exit]:
        if self.when_unavailable is not None:
            yield Exit("when_unavailable", self.when_unavailable)

    def templates(self) -> Iterator[tuple[str, Template]]:
        if self.text is not None:
            yield "text", self.text
        if self.note is not None:  # the note is sent to the agent
            yield "note", self.note


@dataclass(frozen=True, kw_only=True)
class EndBlock(BlockBase):
    type: ClassVar[str] = "end"
    outcome: str = "completed"
    text: Template | None = None

    def exits(self) -> Iterator[Exit]:
        return iter(())

    def templates(self) -> Iterator[tuple[str, Template]]:
        if self.text is not None:
            yield "text", self.text


@dataclass(frozen=True, kw_only=True)
class SetBlock(BlockBase):
    type: ClassVar[str] = "set"
    values: tuple[tuple[Ref, Value], ...] = ()

    def saves(self) -> Iterator[Ref]:
        for name, _ in self.values:
            yield name


@dataclass(frozen=True, kw_only=True)
class ArticlesBlock(BlockBase):
    type: ClassVar[str] = "articles"
    query: Template | None = None
    collection: Ref | None = None
    limit: int = 3
    save: Ref | None = None

    def templates(self) -> Iterator[tuple[str, Template]]:
        if self.query is not None:
            yield "query", self.query

    def saves(self) -> Iterator[Ref]:
        if self.save is not None:
            yield self.save


@dataclass(frozen=True, kw_only=True)
class GotoBlock(BlockBase):
    type: ClassVar[str] = "goto"
    flow: Ref

    def exits(self) -> Iterator[Exit]:
        return iter(())


Block = Union[
    MessageBlock, QuestionBlock, FormBlock, AIBlock, DataUpdateBlock, DataRequestBlock,
    BranchBlock, TagBlock, EscalateBlock, EndBlock, SetBlock, ArticlesBlock, GotoBlock,
]

BLOCK_TYPES: dict[str, type[BlockBase]] = {
    cls.type: cls
    for cls in (
        MessageBlock, QuestionBlock, FormBlock, AIBlock, DataUpdateBlock, DataRequestBlock,
        BranchBlock, TagBlock, EscalateBlock, EndBlock, SetBlock, ArticlesBlock, GotoBlock,
    )
}

# Blocks after which control never passes to the following block in the list.
TERMINAL_TYPES = frozenset({"end", "escalate", "goto"})
