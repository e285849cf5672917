"""The markdown report of a diff: a pull-request comment (a summary table, then one
collapsed section per flow), kept under GitHub's 65,536-character limit."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, TextIO

from flowctl.diff.result import FieldChange, FlowDiff, ProjectDiff
from flowctl.diff.wording import move_words, plural, show, summary_words

if TYPE_CHECKING:
    from flowctl.diff.options import DiffReportOptions


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
