"""Words shared by the text and markdown reports of a diff."""

from __future__ import annotations

import json
from typing import Any

from flowctl.diff.result import BlockDiff, Move, ProjectDiff

MAX_VALUE = 160

def show(value: Any) -> str:
    """A value as one line: JSON, shortened; absent values as ``(none)``."""
    if value is None:
        return "(none)"
    text = json.dumps(_whole(value), ensure_ascii=False, default=str)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def _whole(value: Any) -> Any:
    """Whole numbers the model keeps as floats (``min: 3`` is 3.0) shown as integers."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _whole(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_whole(item) for item in value]
    return value


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
