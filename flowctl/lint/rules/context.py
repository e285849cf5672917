"""Reads of context fields that do not exist (V007): the context is a closed set."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from jinja2 import nodes

from flowctl.lint.context import LintContext
from flowctl.lint.registry import problem, rule
from flowctl.lint.rules.variables import flow_uses, name_offset
from flowctl.loader.context_fields import ContextField, unknown_field
from flowctl.model.flow import Flow
from flowctl.model.problem import Problem


def _path(node: nodes.Node) -> tuple[str, ...] | None:
    """``page.path.startswith`` as ``("page", "path", "startswith")``; None if not a chain
    of names and constant keys."""
    if isinstance(node, nodes.Name):
        return (node.name,)
    if isinstance(node, nodes.Getattr):
        base = _path(node.node)
        return (*base, node.attr) if base else None
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) \
            and isinstance(node.arg.value, str):
        base = _path(node.node)
        return (*base, node.arg.value) if base else None
    return None


def unknown_reads(root: nodes.Node, free: frozenset[str]) -> list[tuple[ContextField, str]]:
    """Each unknown field read under a closed context field, once, in document order."""
    found: list[tuple[ContextField, str]] = []
    for node in root.find_all((nodes.Getattr, nodes.Getitem)):
        path = _path(node)
        if not path or path[0] not in free:  # a loop or `set` variable shadows the context
            continue
        unknown = unknown_field(path)
        if unknown is not None and all(unknown[0].path != f.path or unknown[1] != n
                                       for f, n in found):
            found.append(unknown)
    return found


def _hint(field: ContextField, name: str) -> str:
    known = list(field.fields or {})
    guess = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if guess:
        return f"did you mean '{field.path}.{guess[0]}'?"
    shown = f"'{field.path}' has: {', '.join(known)}"
    custom = [f"'{sub.path}'" for sub in (field.fields or {}).values()
              if sub.fields is None and "custom" in sub.description.lower()]
    return shown + (f"; custom fields go under {' or '.join(custom)}" if custom else "")


@rule("V007", "unknown-context-field")
def unknown_context_field(flow: Flow, ctx: LintContext) -> Iterator[Problem]:
    """A template or condition reads a context field that does not exist.

    The context is a closed set: `event`, `page`, `visitor`, `device`, `agents` and `chat`
    have the fields of the format reference and no others, so a misspelled field
    (`page.pth`, `visitor.time_on_pgae`) is always undefined and a start condition that
    tests it never holds.  Custom data lives in the open fields: `visitor.attributes`,
    `event.data`, `page.query`, `agents.departments`, and saved variables.

    Bad:
        start:
          on: page_view
          when: visitor.time_on_pgae >= 20

    Good:
        start:
          on: page_view
          when: visitor.time_on_page >= 20 and visitor.attributes.plan == 'pro'
    """
    for use in flow_uses(flow, ctx):
        analysis = use.analysis()
        if not use.runtime or analysis.node is None:
            continue
        for field, name in unknown_reads(analysis.node, analysis.names):
            wrong = f"{field.path}.{name}"
            offset = name_offset(use.template.source, wrong, use.condition)
            if use.template.source.startswith(wrong, offset):
                offset += len(field.path) + 1
            else:
                offset = name_offset(use.template.source, field.path.split(".")[0], use.condition)
            yield problem(
                f"unknown context field '{wrong}': '{field.path}' has no field '{name}', so "
                f"it is always undefined",
                use.template.span_at(offset), _hint(field, name),
            )
