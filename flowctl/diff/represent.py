"""Plain, comparable representations of blocks and start conditions.

A block becomes a dict of JSON values (strings, numbers, lists, dicts) keyed the way the
YAML is written (``fields`` of a form, ``from``/``until`` of ``active``); positions are
dropped from the values and kept apart, per path, so that every difference can still be
linked to its line.  References to other blocks go through a rename map, so that a block
renamed together with its references compares equal.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from flowctl.model.blocks import Block, Ref
from flowctl.model.flow import EventRef, Start
from flowctl.model.span import SourceSpan
from flowctl.model.values import AllOf, AnyOf, Expr, ListValue, Literal, MappingValue, NotOf, Template

#: Fields whose Ref names a block of the same flow.
BLOCK_REF_FIELDS = frozenset({"next", "on_invalid", "on_timeout", "on_error", "when_unavailable",
                              "default"})
#: Model attributes that are positions or bookkeeping, not meaning.
_SKIPPED = frozenset({"id", "span", "raw", "style", "fields", "field_spans", "start_span",
                      "end_span", "priority_span", "by_id"})
#: Model attribute → YAML key.
_KEYS = {"form_fields": "fields", "start": "from", "end": "until"}

Spans = dict[str, SourceSpan]


def join(path: str, key: str | int) -> str:
    """``choices`` + 2 → ``choices[2]`` (1-based); ``choices[2]`` + ``label`` → ``choices[2].label``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


class _Plain:
    def __init__(self, rename: Mapping[str, str], skip_defaults: bool) -> None:
        self.rename = rename
        self.skip_defaults = skip_defaults
        self.spans: Spans = {}

    def value(self, obj: Any, path: str, block_ref: bool = False) -> Any:
        span = getattr(obj, "span", None)
        if isinstance(span, SourceSpan) and path:
            self.spans.setdefault(path, span)
        if obj is None or isinstance(obj, bool | int | float | str):
            return obj
        if isinstance(obj, Ref):
            return self.rename.get(obj.name, obj.name) if block_ref else obj.name
        if isinstance(obj, Template):
            return obj.source
        if isinstance(obj, Expr):
            return obj.source
        if isinstance(obj, EventRef):
            return str(obj)
        if isinstance(obj, Literal):
            return obj.value
        if isinstance(obj, AllOf | AnyOf):
            word = "all" if isinstance(obj, AllOf) else "any"
            return {word: [self.value(item, join(join(path, word), i), False)
                           for i, item in enumerate(obj.items, 1)]}
        if isinstance(obj, NotOf):
            return {"not": self.value(obj.item, join(path, "not"))}
        if isinstance(obj, MappingValue):
            return {key: self.value(item, join(path, key)) for key, item in obj.entries}
        if isinstance(obj, ListValue):
            return [self.value(item, join(path, i)) for i, item in enumerate(obj.items, 1)]
        if isinstance(obj, tuple):
            if obj and all(isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], Ref)
                           for item in obj):  # `set` values: name → value
                return {name.name: self.value(item, join(path, name.name)) for name, item in obj}
            return [self.value(item, join(path, i), block_ref) for i, item in enumerate(obj, 1)]
        if dataclasses.is_dataclass(obj):
            if hasattr(obj, "source") and isinstance(obj.source, str):  # Pattern
                return obj.source
            out: dict[str, Any] = {}
            for f in dataclasses.fields(obj):
                if f.name in _SKIPPED:
                    continue
                item = getattr(obj, f.name)
                if self.skip_defaults and _is_default(f, item):
                    continue
                key = _KEYS.get(f.name, f.name)
                out[key] = self.value(item, join(path, key), f.name in BLOCK_REF_FIELDS)
            return out
        return str(obj)


def _is_default(f: dataclasses.Field[Any], value: Any) -> bool:
    if f.default is not dataclasses.MISSING:
        return bool(value == f.default)
    if f.default_factory is not dataclasses.MISSING:
        return bool(value == f.default_factory())
    return False


def block_plain(block: Block, rename: Mapping[str, str] | None = None, *,
                skip_defaults: bool = False) -> tuple[dict[str, Any], Spans]:
    """The block as ``{"type": ..., field: value}`` and the position of each path."""
    plain = _Plain(rename or {}, skip_defaults)
    body = plain.value(block, "")
    spans = plain.spans
    for key in block.field_spans:  # top-level keys: where the author wrote them
        spans.setdefault(_KEYS.get(key, key), block.span_of(key))
    return {"type": block.type, **body}, spans


def start_plain(start: Start | None) -> tuple[dict[str, Any], Spans]:
    """The start condition as ``{"on", "when", "schedule", "active", "once", "priority"}``."""
    if start is None:
        return {}, {}
    plain = _Plain({}, False)
    body = plain.value(start, "")
    if isinstance(body.get("on"), list):  # the events are a set: their order means nothing
        body["on"] = sorted(body["on"])
    spans = plain.spans
    if start.priority_span is not None:
        spans["priority"] = start.priority_span
    if start.on:
        spans.setdefault("on", start.on[0].span)
    for key in ("once", ""):
        spans.setdefault(key, start.span)
    return body, spans


def span_for(spans: Spans, path: str, fallback: SourceSpan | None) -> SourceSpan | None:
    """The position recorded for ``path``, or for its nearest ancestor, or ``fallback``."""
    while path:
        if path in spans:
            return spans[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return spans.get("", fallback)


def leaves(value: Any, path: str = "") -> dict[str, Any]:
    """Every scalar of a plain value by its path (for similarity)."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(leaves(item, join(path, key)))
        return out
    if isinstance(value, list):
        out = {}
        for index, item in enumerate(value, 1):
            out.update(leaves(item, join(path, index)))
        return out
    return {path: value}
