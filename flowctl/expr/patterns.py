"""Regular expressions from flows, run on visitor text: compiled once, searched with a time
limit (the ``regex`` module's ``timeout``), so a pattern prone to catastrophic backtracking
cannot stall a conversation.  Used by ``matches()`` in conditions and by ``expect: regex``."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import regex

#: Seconds one search may take before it counts as failed.
REGEX_TIMEOUT = 0.1


@lru_cache(maxsize=512)
def compile_pattern(pattern: str) -> tuple[Any, str | None]:
    """``(compiled, None)``, or ``(None, why)`` when ``pattern`` is not a valid pattern."""
    try:
        return regex.compile(pattern), None
    except (regex.error, TypeError, ValueError, OverflowError) as exc:
        return None, f"invalid pattern: {exc}"


def search(pattern: str, text: str, timeout: float = REGEX_TIMEOUT) -> tuple[bool | None, str | None]:
    """``(found, None)``, or ``(None, why)`` when the pattern is invalid or the search timed out."""
    compiled, problem = compile_pattern(pattern)
    if compiled is None:
        return None, problem
    try:
        return compiled.search(text, timeout=timeout) is not None, None
    except TimeoutError:
        return None, f"the search timed out after {timeout} s"
