"""How script values are compared with what the flow did."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any


def is_regex(pattern: str) -> bool:
    return len(pattern) >= 2 and pattern.startswith("/") and pattern.endswith("/")


@lru_cache(maxsize=1024)
def glob_to_regex(pattern: str) -> re.Pattern[str]:
    """The spec's glob: ``*`` any text, ``?`` one character, everything else literal."""
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), re.S)


def text_matches(pattern: str, text: str) -> bool:
    """A case-sensitive glob over the whole text, or a regex search when written ``/.../``.

    Lint (C006) reports a ``/regex/`` that does not compile, so here it simply fails.
    """
    if is_regex(pattern):
        try:
            return re.search(pattern[1:-1], text) is not None
        except re.error:
            return False
    return glob_to_regex(pattern).fullmatch(text) is not None


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
