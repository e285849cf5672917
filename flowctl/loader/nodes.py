"""Helpers that turn located data into model values (templates, refs, conditions, values)."""

from __future__ import annotations

from typing import Any

from flowctl.loader.yaml_reader import Path_, YamlDocument
from flowctl.model.blocks import Ref
from flowctl.model.span import SourceSpan
from flowctl.model.values import (
    AllOf,
    AnyOf,
    Condition,
    Expr,
    ListValue,
    Literal,
    MappingValue,
    NotOf,
    Template,
    Value,
)


class Located:
    """Read typed values out of a document's data at a path, each with its position."""

    def __init__(self, doc: YamlDocument) -> None:
        self.doc = doc

    def span(self, path: Path_) -> SourceSpan:
        return self.doc.span(path)

    def key_span(self, path: Path_) -> SourceSpan:
        return self.doc.key_span(path)

    def template(self, path: Path_, value: Any) -> Template | None:
        if isinstance(value, bool) or value is None or isinstance(value, dict | list):
            return None
        text = value if isinstance(value, str) else str(value)
        raw, style = self.doc.raw(path)
        return Template(text, self.span(path), raw, style)

    def ref(self, path: Path_, value: Any) -> Ref | None:
        if isinstance(value, str) and value:
            return Ref(value, self.span(path))
        return None

    def refs(self, path: Path_, value: Any) -> tuple[Ref, ...]:
        if isinstance(value, str):
            ref = self.ref(path, value)
            return (ref,) if ref else ()
        if not isinstance(value, list):
            return ()
        return tuple(r for i, item in enumerate(value) if (r := self.ref((*path, i), item)))

    def templates(self, path: Path_, value: Any) -> tuple[Template, ...]:
        if isinstance(value, str):
            single = self.template(path, value)
            return (single,) if single else ()
        if not isinstance(value, list):
            return ()
        return tuple(t for i, item in enumerate(value) if (t := self.template((*path, i), item)))

    def condition(self, path: Path_, value: Any) -> Condition | None:
        """A condition: an expression string or an ``all``/``any``/``not`` tree."""
        if isinstance(value, str):
            template = self.template(path, value)
            return Expr(template) if template else None
        if isinstance(value, bool):
            return Expr(Template("true" if value else "false", self.span(path)))
        if not isinstance(value, dict) or len(value) != 1:
            return None
        (key, inner), = value.items()
        sub = (*path, key)
        if key in ("all", "any") and isinstance(inner, list):
            items = tuple(
                c for i, item in enumerate(inner) if (c := self.condition((*sub, i), item))
            )
            return (AllOf if key == "all" else AnyOf)(items, self.key_span(sub))
        if key == "not":
            item = self.condition(sub, inner)
            return NotOf(item, self.key_span(sub)) if item else None
        return None

    def value(self, path: Path_, value: Any) -> Value:
        """A ``set``/``body`` value: templates for strings, literals otherwise."""
        if isinstance(value, str):
            template = self.template(path, value)
            assert template is not None
            return template
        if isinstance(value, dict):
            return MappingValue(
                tuple((str(k), self.value((*path, k), v)) for k, v in value.items()),
                self.span(path),
            )
        if isinstance(value, list):
            return ListValue(tuple(self.value((*path, i), v) for i, v in enumerate(value)),
                             self.span(path))
        return Literal(value, self.span(path))


def as_number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def as_int(value: Any, default: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        return default
    return value


def as_str(value: Any, default: str = "") -> str:
    return value if isinstance(value, str) else default
