"""Templates, conditions and values: kept as source strings until the evaluator compiles them.

Each string remembers where it stood in its file, including the raw source text of the
scalar, so that an error at offset *n* inside the string can be shown at its own column.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Union

from flowctl.model.span import SourceSpan


@dataclass(frozen=True, slots=True)
class Template:
    """A text field that may interpolate ``{{ ... }}``, or a single condition expression."""

    source: str
    span: SourceSpan
    raw: str = ""  # the scalar as written in the file (quotes, block indicators...)
    style: str = ""  # "" plain, "'" or '"' quoted, "|" literal, ">" folded

    def __str__(self) -> str:
        return self.source

    def span_at(self, offset: int) -> SourceSpan:
        """The source position of character ``offset`` of :attr:`source`."""
        return locate_offset(self, offset)


@dataclass(frozen=True, slots=True)
class Expr:
    """A condition leaf: one Jinja expression, e.g. ``visitor.returning and agents.online > 0``."""

    template: Template

    @property
    def source(self) -> str:
        return self.template.source

    @property
    def span(self) -> SourceSpan:
        return self.template.span


@dataclass(frozen=True, slots=True)
class AllOf:
    items: tuple[Condition, ...]
    span: SourceSpan


@dataclass(frozen=True, slots=True)
class AnyOf:
    items: tuple[Condition, ...]
    span: SourceSpan


@dataclass(frozen=True, slots=True)
class NotOf:
    item: Condition
    span: SourceSpan


Condition = Union[Expr, AllOf, AnyOf, NotOf]


@dataclass(frozen=True, slots=True)
class Literal:
    """A non-string YAML scalar (number, bool, null), taken as it is."""

    value: bool | int | float | None
    span: SourceSpan


@dataclass(frozen=True, slots=True)
class MappingValue:
    entries: tuple[tuple[str, Value], ...]
    span: SourceSpan


@dataclass(frozen=True, slots=True)
class ListValue:
    items: tuple[Value, ...]
    span: SourceSpan


Value = Union[Literal, Template, MappingValue, ListValue]


def iter_expressions(condition: Condition) -> Iterator[Expr]:
    """Yield every leaf :class:`Expr` of a condition tree, in source order."""
    if isinstance(condition, Expr):
        yield condition
    elif isinstance(condition, AllOf | AnyOf):
        for item in condition.items:
            yield from iter_expressions(item)
    else:
        yield from iter_expressions(condition.item)


def iter_value_templates(value: Value) -> Iterator[Template]:
    """Yield every :class:`Template` inside a value tree."""
    if isinstance(value, Template):
        yield value
    elif isinstance(value, MappingValue):
        for _, item in value.entries:
            yield from iter_value_templates(item)
    elif isinstance(value, ListValue):
        for item in value.items:
            yield from iter_value_templates(item)


def locate_offset(template: Template, offset: int) -> SourceSpan:
    """Map an offset in the parsed string to a line and column in the file.

    Exact for plain and quoted single-line scalars and for literal block scalars (the
    common cases); for folded or escaped text it falls back to the line that holds the
    same characters, and failing that to the start of the scalar.
    """
    span = template.span
    value, raw, style = template.source, template.raw, template.style
    offset = max(0, min(offset, len(value)))
    if not raw:
        return span
    if style in ("", "'", '"') and "\n" not in raw:
        lead = 1 if style else 0
        if raw[lead : lead + len(value)] == value:
            return span.at(span.line, span.column + lead + offset)
    if style == "|":
        before = value[:offset]
        line_no = before.count("\n")
        col_in_line = offset - (before.rfind("\n") + 1)
        lines = raw.split("\n")
        content = [ln for ln in lines[1:]]
        indent = _indent_of(content)
        return span.at(span.line + 1 + line_no, indent + col_in_line + 1)
    # Fallback: find a short window of the string around the offset in the raw text.
    window = value[offset : offset + 12] or value[max(0, offset - 12) : offset]
    if window:
        hit = raw.find(window)
        if hit >= 0:
            at_start = bool(value[offset : offset + 12])
            return _raw_position(span, raw, hit if at_start else hit + len(window))
    return span


def _indent_of(lines: list[str]) -> int:
    indents = [len(ln) - len(ln.lstrip(" ")) for ln in lines if ln.strip()]
    return min(indents) if indents else 0


def _raw_position(span: SourceSpan, raw: str, index: int) -> SourceSpan:
    before = raw[:index]
    newlines = before.count("\n")
    if newlines == 0:
        return span.at(span.line, span.column + index)
    return span.at(span.line + newlines, index - before.rfind("\n"))
