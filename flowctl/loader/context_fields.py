"""The fields of the evaluation context: one home, derived from the visitors schema.

The format reference's context table is encoded in ``visitors.schema.json`` (``$defs/context``
and the ``context_*`` definitions it refers to), which is what a visitors file may set.  A
mapping there with ``properties`` and ``additionalProperties: false`` (``page``, ``visitor``,
``visitor.utm``, ``device``, ``chat``...) is *closed*: a flow may read only those fields.
Everything else is *open*: custom data (``visitor.attributes``, ``event.data``,
``page.query``, ``agents.departments``) and scalars, whose methods (``page.path.startswith``)
Jinja may call.  ``now`` is set by a visitor's own ``now`` key (a datetime: open).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from flowctl.loader.schema_check import load_schema

#: Methods Jinja finds on any mapping, closed or not (``visitor.get('name')``).
MAPPING_METHODS = frozenset({"get", "items", "keys", "values"})


@dataclass(frozen=True, slots=True)
class ContextField:
    """One field of the context, e.g. ``visitor.utm``."""

    path: str  # dotted, from the root: "visitor.utm"
    fields: Mapping[str, ContextField] | None  # None: open (any key below it is allowed)
    description: str = ""

    @property
    def closed(self) -> bool:
        return self.fields is not None


def _resolve(schema: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = dict(schema["$defs"][ref.removeprefix("#/$defs/")])
        target.update({k: v for k, v in node.items() if k != "$ref"})
        return target
    return node


def _field(schema: Mapping[str, Any], path: str, node: Mapping[str, Any]) -> ContextField:
    node = _resolve(schema, node)
    description = str(node.get("description", ""))
    props = node.get("properties")
    if not isinstance(props, Mapping) or node.get("additionalProperties", True) is not False:
        return ContextField(path, None, description)
    return ContextField(path, {name: _field(schema, f"{path}.{name}", sub)
                               for name, sub in props.items()}, description)


@cache
def context_roots() -> Mapping[str, ContextField]:
    """The context's top-level names (``event``, ``page``, ``visitor``...) and their fields."""
    schema = load_schema("visitors")
    parts = schema["$defs"]["context"]["properties"]
    roots = {name: _field(schema, name, node) for name, node in parts.items()}
    clock = schema["$defs"]["visitor"]["properties"]["now"]
    roots["now"] = ContextField("now", None, str(clock.get("description", "")))
    return roots


def unknown_field(path: tuple[str, ...]) -> tuple[ContextField, str] | None:
    """For an attribute path read from the context (``("page", "pth")``), the closed field
    it leaves and the unknown name; None when every step is a known or open field."""
    field = context_roots().get(path[0]) if path else None
    for name in path[1:]:
        if field is None or field.fields is None:
            return None
        below = field.fields.get(name)
        if below is None:
            return None if name in MAPPING_METHODS else (field, name)
        field = below
    return None
