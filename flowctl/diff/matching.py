"""Matching two versions of a flow: value differences by path, renamed blocks, moved blocks.

A renamed block is an id that disappeared and a new one of the same type whose content is
equal or nearly equal (block references compared through the renames).  A block counts as
moved only when its position changed *and* what it falls through to, or what falls through
to it, changed: order alone means nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from difflib import SequenceMatcher
from typing import Any

from flowctl.diff.represent import block_plain, join, leaves
from flowctl.diff.result import Move
from flowctl.model.flow import Flow
from flowctl.model.graph import edges

#: How similar (0..1) a removed and an added block must be to count as one renamed block.
RENAME_THRESHOLD = 0.75
END = "(end)"
#: A value missing on one side (shown as "(none)").
_ABSENT: Any = None


def diff_values(path: str, a: Any, b: Any) -> list[tuple[str, Any, Any]]:
    """``(path, before, after)`` for every difference of two plain values.

    Mappings are compared key by key; lists of mappings (choices, cases, form fields,
    buttons) are aligned item by item, so a changed label is one change of
    ``choices[2].label``; other values are compared whole.
    """
    if a == b:
        return []
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[tuple[str, Any, Any]] = []
        for key in [*b, *(k for k in a if k not in b)]:
            out.extend(diff_values(join(path, key), a.get(key, _ABSENT), b.get(key, _ABSENT)))
        return out
    if (isinstance(a, list) and isinstance(b, list)
            and any(isinstance(item, dict) for item in (*a, *b))):
        return _diff_items(path, a, b)
    return [(path, a, b)]


def _diff_items(path: str, a: list[Any], b: list[Any]) -> list[tuple[str, Any, Any]]:
    def key(item: Any) -> str:
        return json.dumps(item, sort_keys=True, default=str)

    out: list[tuple[str, Any, Any]] = []
    matcher = SequenceMatcher(None, [key(x) for x in a], [key(x) for x in b], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        paired = min(i2 - i1, j2 - j1)
        for k in range(paired):
            out.extend(diff_values(join(path, j1 + k + 1), a[i1 + k], b[j1 + k]))
        for i in range(i1 + paired, i2):
            out.append((join(path, i + 1), a[i], _ABSENT))
        for j in range(j1 + paired, j2):
            out.append((join(path, j + 1), _ABSENT, b[j]))
    return out


def similarity(a: Any, b: Any) -> float:
    """0..1: the share of scalar leaves that are equal (similar strings count in part)."""
    la, lb = leaves(a), leaves(b)
    keys = la.keys() | lb.keys()
    if not keys:
        return 1.0
    score = 0.0
    for k in keys:
        if k in la and k in lb:
            x, y = la[k], lb[k]
            if x == y:
                score += 1.0
            elif isinstance(x, str) and isinstance(y, str):
                score += 0.9 * SequenceMatcher(None, x, y, autojunk=False).ratio()
    return score / len(keys)


# -- flows ----------------------------------------------------------------------------


def find_renames(a: Flow, b: Flow) -> dict[str, str]:
    """Old id → new id for blocks that were renamed (same type, equal or nearly equal)."""
    old_ids = {block.id for block in a.blocks}
    new_ids = {block.id for block in b.blocks}
    removed = [block for block in a.blocks if block.id not in new_ids]
    added = [block for block in b.blocks if block.id not in old_ids]
    if not removed or not added:
        return {}
    unknown = {block.id: "?" for block in (*removed, *added)}  # refs to these: not compared
    index_a = {block.id: i for i, block in enumerate(a.blocks)}
    index_b = {block.id: i for i, block in enumerate(b.blocks)}
    reps_b = {block.id: block_plain(block, unknown, skip_defaults=True)[0] for block in added}
    candidates: list[tuple[float, int, str, str]] = []
    for old in removed:
        rep_a = block_plain(old, unknown, skip_defaults=True)[0]
        for new in added:
            if new.type != old.type:
                continue
            score = similarity(rep_a, reps_b[new.id])
            if score >= RENAME_THRESHOLD:
                distance = abs(index_a[old.id] - index_b[new.id])
                candidates.append((-score, distance, old.id, new.id))
    renames: dict[str, str] = {}
    taken: set[str] = set()
    for _, _, old_id, new_id in sorted(candidates):
        if old_id not in renames and new_id not in taken:
            renames[old_id] = new_id
            taken.add(new_id)
    return renames


def _fallthrough(flow: Flow, rename: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Block → where it falls through to, and block → which block falls through into it."""
    to: dict[str, str] = {}
    into: dict[str, str] = {}
    for edge in edges(flow):
        if edge.kind != "fallthrough":
            continue
        source = rename.get(edge.source, edge.source)
        target = rename.get(edge.target, edge.target) if edge.target is not None else END
        to[source] = target
        if target != END:
            into[target] = source
    return to, into


def find_moves(a: Flow, b: Flow, rename: Mapping[str, str]) -> dict[str, Move]:
    order_a = [rename.get(block.id, block.id) for block in a.blocks]
    order_b = [block.id for block in b.blocks]
    common = set(order_a) & set(order_b)
    seq_a = [x for x in order_a if x in common]
    seq_b = [x for x in order_b if x in common]
    matcher = SequenceMatcher(None, seq_a, seq_b, autojunk=False)
    kept = {seq_b[j] for block in matcher.get_matching_blocks()
            for j in range(block.b, block.b + block.size)}
    to_a, into_a = _fallthrough(a, rename)
    to_b, into_b = _fallthrough(b, {})
    moves: dict[str, Move] = {}
    for block_id in seq_b:
        if block_id in kept:
            continue
        falls = (to_a.get(block_id), to_b.get(block_id), into_a.get(block_id), into_b.get(block_id))
        if falls[0] == falls[1] and falls[2] == falls[3]:
            continue  # moved, but nothing falls through differently: no change in behaviour
        moves[block_id] = Move(order_a.index(block_id) + 1, order_b.index(block_id) + 1, *falls)
    return moves
