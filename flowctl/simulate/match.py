"""How script values are compared with what the flow did."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from flowctl.expr import patterns


def is_regex(pattern: str) -> bool:
    return len(pattern) >= 2 and pattern.startswith("/") and pattern.endswith("/")


@lru_cache(maxsize=1024)
def _glob_parts(pattern: str) -> tuple[tuple[re.Pattern[str], int], ...]:
    """The pattern's pieces between ``*``s: each a fixed-length regex (``?`` any character)
    and its length."""
    return tuple(
        (re.compile("".join("." if c == "?" else re.escape(c) for c in piece), re.S), len(piece))
        for piece in pattern.split("*")
    )


def glob_matches(pattern: str, text: str) -> bool:
    """The spec's glob over the whole text: ``*`` any text, ``?`` one character, everything
    else literal.

    Linear in practice, never exponential: the pieces between ``*``s have a fixed length, so
    taking each at its leftmost place after the previous one is a match whenever there is one
    (``*a*a*a*a*a*b`` against 2,000 ``a``s is as fast as against 20).
    """
    parts = _glob_parts(pattern)
    (first, _), (last, tail) = parts[0], parts[-1]
    if len(parts) == 1:
        return first.fullmatch(text) is not None
    head = first.match(text)
    if head is None:
        return False
    at = head.end()
    for middle, _ in parts[1:-1]:
        found = middle.search(text, at)
        if found is None:
            return False
        at = found.end()
    start = len(text) - tail
    return start >= at and last.fullmatch(text, start) is not None


def text_matches(pattern: str, text: str) -> bool:
    """A case-sensitive glob over the whole text, or a regex search when written ``/.../``.

    The regex runs in :mod:`flowctl.expr.patterns`, time-bounded like the flows' patterns: a
    pattern that does not compile (lint reports it) or runs out of time does not match.
    """
    if is_regex(pattern):
        found, _problem = patterns.search(pattern[1:-1], text)
        return bool(found)
    return glob_matches(pattern, text)


def _same_scalar(expected: Any, actual: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return float(expected) == float(actual)
    return bool(expected == actual)


def subset_mismatch(expected: Any, actual: Any, path: str = "") -> str | None:
    """Where ``actual`` does not contain ``expected`` (mappings as subsets, recursively);
    ``None`` when it does.  Lists must have the same length, each item matched likewise."""
    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping):
            return f"{path or 'value'}: expected a mapping, got {_show(actual)}"
        for key, value in expected.items():
            where = f"{path}.{key}" if path else str(key)
            if key not in actual:
                return f"{where}: missing (expected {_show(value)})"
            found = subset_mismatch(value, actual[key], where)
            if found:
                return found
        return None
    if isinstance(expected, list | tuple):
        if not isinstance(actual, list | tuple):
            return f"{path or 'value'}: expected a list, got {_show(actual)}"
        if len(expected) != len(actual):
            return f"{path or 'value'}: expected {_show(expected)}, got {_show(actual)}"
        for index, (e, a) in enumerate(zip(expected, actual, strict=True)):
            found = subset_mismatch(e, a, f"{path}[{index}]")
            if found:
                return found
        return None
    if not _same_scalar(expected, actual):
        return f"{path or 'value'}: expected {_show(expected)}, got {_show(actual)}"
    return None


def _show(value: Any) -> str:
    import json

    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)
