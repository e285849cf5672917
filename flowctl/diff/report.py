"""Reporters for a :class:`~flowctl.diff.semantic.ProjectDiff`: text, JSON and markdown.

Only these functions print, and only to ``out``.  The JSON schema (``version`` 1)::

    {"version": 1, "base": "HEAD", "head": "working tree",
     "summary": {"flows_added", "flows_removed", "flows_changed", "blocks_added",
                 "blocks_removed", "blocks_changed", "edges_added", "edges_removed"},
     "flows": [{"flow": id, "status": "added" | "removed" | "changed",
                "before": Span | null, "after": Span | null,
                "fields": [Change],            # file, title, description, entry
                "start": [Change],             # on, when, schedule, active, once, priority
                "blocks": [{"id", "type", "status": "added" | "removed" | "changed",
                            "renamed_from": str | null, "before": Span | null,
                            "after": Span | null, "fields": [Change],
                            "moved": null | {"before_index", "after_index", "falls_to_before",
                                             "falls_to_after", "falls_from_before",
                                             "falls_from_after"}}],
                "edges": {"added": [Edge], "removed": [Edge]}}]}
    Change = {"field": "choices[2].label", "before": value, "after": value,
              "before_span": Span | null, "after_span": Span | null}
    Edge   = {"key", "source", "target" (null: the flow ends), "kind", "label", "span": Span}
    Span   = {"file", "line", "column"}   (1-based)

Field paths index lists from 1; values are plain JSON (strings are the source text of
templates and conditions; ``null`` when absent).
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from flowctl.diff.markdown import report_markdown
from flowctl.diff.options import DiffReportOptions  # also imported from here by the CLI
from flowctl.diff.result import BlockDiff, EdgeChange, FieldChange, FlowDiff, Move, ProjectDiff
from flowctl.diff.wording import block_title, move_words, plural, show, summary_words
from flowctl.model.span import SourceSpan

SCHEMA_VERSION = 1
MAX_VALUE = 160


# -- JSON -------------------------------------------------------------------------------


def _span(span: SourceSpan | None) -> dict[str, Any] | None:
    return None if span is None else {"file": span.file, "line": span.line, "column": span.column}


def _change(change: FieldChange) -> dict[str, Any]:
    return {"field": change.field, "before": change.before, "after": change.after,
            "before_span": _span(change.before_span), "after_span": _span(change.after_span)}


def _move(move: Move | None) -> dict[str, Any] | None:
    if move is None:
        return None
    return {"before_index": move.before_index, "after_index": move.after_index,
            "falls_to_before": move.falls_to_before, "falls_to_after": move.falls_to_after,
            "falls_from_before": move.falls_from_before, "falls_from_after": move.falls_from_after}


def _edge(edge: EdgeChange) -> dict[str, Any]:
    return {"key": edge.key, "source": edge.source, "target": edge.target, "kind": edge.kind,
            "label": edge.label, "span": _span(edge.span)}


def _block(block: BlockDiff) -> dict[str, Any]:
    return {"id": block.id, "type": block.type, "status": block.status,
            "renamed_from": block.renamed_from, "before": _span(block.before_span),
            "after": _span(block.after_span), "fields": [_change(c) for c in block.fields],
            "moved": _move(block.moved)}


def flow_json(flow: FlowDiff) -> dict[str, Any]:
    return {
        "flow": flow.id, "status": flow.status,
        "before": _span(flow.before_span), "after": _span(flow.after_span),
        "fields": [_change(c) for c in flow.fields],
        "start": [_change(c) for c in flow.start],
        "blocks": [_block(b) for b in flow.blocks],
        "edges": {"added": [_edge(e) for e in flow.edges_added],
                  "removed": [_edge(e) for e in flow.edges_removed]},
    }


def to_json(diff: ProjectDiff, options: DiffReportOptions | None = None) -> dict[str, Any]:
    options = options or DiffReportOptions()
    return {"version": SCHEMA_VERSION, "base": options.base, "head": options.head,
            "summary": diff.summary(), "flows": [flow_json(f) for f in diff.flows]}


def report_json(diff: ProjectDiff, out: TextIO, options: DiffReportOptions) -> None:
    json.dump(to_json(diff, options), out, indent=2, ensure_ascii=False)
    out.write("\n")


# -- text -------------------------------------------------------------------------------

_COLORS = {"+": "\x1b[32m", "-": "\x1b[31m", "~": "\x1b[33m", "dim": "\x1b[2m", "bold": "\x1b[1m"}
_MARKS = {"added": "+", "removed": "-", "changed": "~"}


def _where(span: SourceSpan | None) -> str:
    return f"{span.file}:{span.line}:{span.column}" if span else ""


def report_text(diff: ProjectDiff, out: TextIO, options: DiffReportOptions) -> None:
    def paint(text: str, style: str) -> str:
        return f"{_COLORS[style]}{text}\x1b[0m" if options.color else text

    def field_line(indent: str, change: FieldChange) -> str:
        line = change.after_span or change.before_span
        where = paint(f"  (line {line.line})", "dim") if line else ""
        values = f"{show(change.before)} -> {show(change.after)}"
        return f"{indent}{paint('~', '~')} {change.field}: {values}{where}"

    out.write(f"flowctl diff {options.base} -> {options.head}\n")
    for flow in diff.flows:
        mark = _MARKS[flow.status]
        out.write("\n")
        head = f"{mark} flow {flow.id}"
        if flow.status != "changed":
            blocks = plural(len(flow.blocks), "block")
            out.write(f"{paint(head, mark)}  {flow.file} ({flow.status}, {blocks})\n")
            continue
        out.write(f"{paint(head, mark)}  {flow.file}\n")
        for change in flow.fields:
            out.write(field_line("    ", change) + "\n")
        if flow.start:
            out.write("  start:\n")
            for change in flow.start:
                out.write(field_line("    ", change) + "\n")
        if flow.blocks:
            out.write("  blocks:\n")
        for block in flow.blocks:
            bmark = _MARKS[block.status]
            where = paint("  " + _where(block.after_span or block.before_span), "dim")
            out.write(f"    {paint(bmark, bmark)} {block_title(block)}{where}\n")
            if block.moved:
                out.write(f"        {paint('~', '~')} {move_words(block.moved)}\n")
            for change in block.fields:
                out.write(field_line("        ", change) + "\n")
        if flow.edges_added or flow.edges_removed:
            out.write("  edges:\n")
            for edge in flow.edges_removed:
                out.write(f"    {paint('-', '-')} {edge.key}\n")
            for edge in flow.edges_added:
                out.write(f"    {paint('+', '+')} {edge.key}\n")
    out.write(("\n" if diff.flows else "") + summary_words(diff) + "\n")


REPORTERS = {"text": report_text, "json": report_json, "markdown": report_markdown}


def report(diff: ProjectDiff, out: TextIO, options: DiffReportOptions, format: str = "text") -> None:
    REPORTERS[format](diff, out, options)
