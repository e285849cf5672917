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
from dataclasses import dataclass
from html import escape
from typing import Any, TextIO

from flowctl.diff.semantic import BlockDiff, EdgeChange, FieldChange, FlowDiff, Move, ProjectDiff
from flowctl.model.span import SourceSpan

SCHEMA_VERSION = 1
MAX_VALUE = 160


@dataclass
class DiffReportOptions:
    base: str = "before"
    head: str = "after"
    color: bool = False


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


# -- shared wording -------------------------------------------------------------------------


def show(value: Any) -> str:
    """A value as one line: JSON, shortened; absent values as ``(none)``."""
    if value is None:
        return "(none)"
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def _falls(target: str | None) -> str:
    if target is None:
        return "nothing (no fall-through)"
    return "the end of the flow" if target == "(end)" else target


def move_words(move: Move) -> str:
    parts = [f"moved from position {move.before_index} to {move.after_index}"]
    if move.falls_to_before != move.falls_to_after:
        parts.append(f"now falls through to {_falls(move.falls_to_after)} "
                     f"(was {_falls(move.falls_to_before)})")
    if move.falls_from_before != move.falls_from_after:
        parts.append(f"now entered by fall-through from {move.falls_from_after or 'no block'} "
                     f"(was {move.falls_from_before or 'no block'})")
    return "; ".join(parts)


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def summary_words(diff: ProjectDiff) -> str:
    """``1 flow changed, 1 flow added; blocks: 2 added, 1 removed, 3 changed; edges: ...``."""
    if not diff.has_changes:
        return "No changes to flows"
    s = diff.summary()
    flows = ", ".join(f"{plural(s['flows_' + status], 'flow')} {status}"
                      for status in ("changed", "added", "removed") if s["flows_" + status])
    if not s["flows_changed"]:
        return flows
    return (f"{flows}; blocks: {s['blocks_added']} added, {s['blocks_removed']} removed, "
            f"{s['blocks_changed']} changed; edges: {s['edges_added']} added, "
            f"{s['edges_removed']} removed")


def block_title(block: BlockDiff) -> str:
    text = f"{block.id} ({block.type})"
    if block.renamed_from:
        text += f", renamed from {block.renamed_from}"
    return text


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


# -- markdown -------------------------------------------------------------------------------


def code(text: str) -> str:
    """A markdown code span that survives backticks in ``text``."""
    text = text.replace("\n", " ")
    longest, run = 0, 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _field_table(changes: tuple[FieldChange, ...]) -> list[str]:
    lines = ["| field | before | after |", "| --- | --- | --- |"]
    for change in changes:
        lines.append(f"| {_cell(code(change.field))} | {_cell(code(show(change.before)))} "
                     f"| {_cell(code(show(change.after)))} |")
    return lines


def _counts(added: int, removed: int, changed: int | None = None) -> str:
    parts = [f"+{added}" if added else "", f"−{removed}" if removed else ""]
    if changed:
        parts.append(f"~{changed}")
    return " ".join(p for p in parts if p) or "–"


#: GitHub refuses comments over 65,536 characters; keep room for the table and the notice.
MARKDOWN_BUDGET = 60_000


def report_markdown(diff: ProjectDiff, out: TextIO, options: DiffReportOptions) -> None:
    lines = [f"### flowctl diff: {code(options.base)} → {code(options.head)}", ""]
    if not diff.has_changes:
        lines.append("No changes to flows.")
        out.write("\n".join(lines) + "\n")
        return
    lines += [summary_words(diff) + ".", "",
              "| flow | change | blocks | edges | start condition |",
              "| --- | --- | --- | --- | --- |"]
    for flow in diff.flows:
        if flow.status == "changed":
            blocks = _counts(flow.count("added"), flow.count("removed"), flow.count("changed"))
            start = plural(len(flow.start), "change") if flow.start else "–"
        else:
            n = len(flow.blocks)
            blocks = f"+{n}" if flow.status == "added" else f"−{n}"
            start = "–"
        edges = _counts(len(flow.edges_added), len(flow.edges_removed))
        lines.append(f"| {_cell(code(flow.id))} | {flow.status} | {blocks} | {edges} | {start} |")
    used = sum(len(line) + 1 for line in lines)
    for index, flow in enumerate(diff.flows):
        details = ["", *_flow_markdown(flow)]
        size = sum(len(line) + 1 for line in details)
        if used + size > MARKDOWN_BUDGET:
            lines += ["", f"*Details of {plural(len(diff.flows) - index, 'more flow')} left out: "
                      "a pull-request comment holds at most 65,536 characters. "
                      "Run `flowctl diff` locally for everything.*"]
            break
        lines += details
        used += size
    out.write("\n".join(lines) + "\n")


_ICONS = {"added": "➕", "removed": "➖", "changed": "✏️"}


def _flow_markdown(flow: FlowDiff) -> list[str]:
    title = f"<b>{escape(flow.id)}</b> ({flow.status}, <code>{escape(flow.file)}</code>)"
    lines = [f"<details><summary>{title}</summary>", ""]
    if flow.status != "changed":
        lines.append(f"{plural(len(flow.blocks), 'block')} {flow.status}: "
                     + ", ".join(code(f"{b.id}") + f" ({b.type})" for b in flow.blocks))
        lines += ["", "</details>"]
        return lines
    if flow.fields:
        lines += ["**Flow**", "", *_field_table(flow.fields), ""]
    if flow.start:
        lines += ["**Start condition**", "", *_field_table(flow.start), ""]
    if flow.blocks:
        lines += ["**Blocks**", ""]
        for block in flow.blocks:
            head = f"{_ICONS[block.status]} {code(block.id)} ({block.type}) {block.status}"
            if block.renamed_from:
                head += f", renamed from {code(block.renamed_from)}"
            if block.moved:
                head += f"; {move_words(block.moved)}"
            lines += [f"- {head}"]
            if block.fields:
                lines += ["", *("  " + row for row in _field_table(block.fields)), ""]
        lines.append("")
    if flow.edges_added or flow.edges_removed:
        body = [f"- {e.key}" for e in flow.edges_removed] + [f"+ {e.key}" for e in flow.edges_added]
        fence = "```"
        while any(fence in row for row in body):
            fence += "`"
        lines += ["**Edges**", "", f"{fence}diff", *body, fence, ""]
    lines.append("</details>")
    return lines


REPORTERS = {"text": report_text, "json": report_json, "markdown": report_markdown}


def report(diff: ProjectDiff, out: TextIO, options: DiffReportOptions, format: str = "text") -> None:
    REPORTERS[format](diff, out, options)
