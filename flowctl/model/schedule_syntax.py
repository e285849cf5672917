"""The syntax of schedules and dates in flowctl.yaml: pure parsing, shared by lint and engine.

Lint rule T004 validates with the same :func:`parse_days`, :func:`explain_range` and
:func:`parse_date` that the engine interprets with, so a schedule lint accepts means exactly
what the engine does.

* Days: ``mon`` .. ``sun``, a range ``mon-fri`` (first day not after the last), a comma list
  ``mon,wed,fri`` (items may be ranges or groups), or the groups ``daily``, ``weekdays``,
  ``weekends``; case-insensitive, spaces around items ignored.
* Times: ``HH:MM-HH:MM`` (one or two hour digits), start before end, ``24:00`` allowed as an
  end only; a range cannot cross midnight.  A schedule is open at ``start <= t < end``.
* ``closed``: ISO dates (``YYYY-MM-DD``) on which the schedule is closed all day.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping
from typing import Any

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_GROUPS: Mapping[str, frozenset[int]] = {
    "daily": frozenset(range(7)),
    "weekdays": frozenset(range(5)),
    "weekends": frozenset({5, 6}),
}
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MINUTES_PER_DAY = 24 * 60


def parse_days(spec: str) -> set[int] | None:
    """The days (0 = Monday) of a day spec, or None when the spec is invalid."""
    if not isinstance(spec, str):
        return None
    out: set[int] = set()
    parts = [p.strip().lower() for p in spec.split(",")]
    if not parts or any(not p for p in parts):
        return None
    for part in parts:
        if part in DAY_GROUPS:
            out |= DAY_GROUPS[part]
        elif part in DAYS:
            out.add(DAYS.index(part))
        elif "-" in part:
            first, _, last = (x.strip() for x in part.partition("-"))
            if first not in DAYS or last not in DAYS:
                return None
            a, b = DAYS.index(first), DAYS.index(last)
            if a > b:
                return None
            out |= set(range(a, b + 1))
        else:
            return None
    return out


def _minutes(text: str, end: bool) -> int | None:
    match = _TIME.match(text.strip())
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if minute > 59:
        return None
    if hour == 24 and minute == 0 and end:
        return MINUTES_PER_DAY
    if hour > 23:
        return None
    return hour * 60 + minute


def explain_range(text: str) -> tuple[int, int] | str:
    """(start, end) minutes of ``HH:MM-HH:MM``, or the reason it is invalid (for lint)."""
    first, sep, last = str(text).strip().partition("-")
    if not sep:
        return "is not written HH:MM-HH:MM"
    start, end = _minutes(first, False), _minutes(last, True)
    if start is None or end is None:
        bad = first if start is None else last
        return f"has an invalid time '{bad.strip()}' (use HH:MM, 00:00 to 23:59, or 24:00 as end)"
    if start >= end:
        return "ends before it starts (a range cannot cross midnight; split it in two)"
    return start, end


def parse_range(text: str) -> tuple[int, int] | None:
    """(start, end) minutes since midnight of ``HH:MM-HH:MM``, or None when invalid."""
    parsed = explain_range(text)
    return None if isinstance(parsed, str) else parsed


def parse_date(text: Any) -> _dt.date | None:
    """A real ISO date (``YYYY-MM-DD``, or a ``date``), else None."""
    if isinstance(text, _dt.datetime):
        return text.date()
    if isinstance(text, _dt.date):
        return text
    if not isinstance(text, str) or not _ISO_DATE.match(text.strip()):
        return None
    try:
        return _dt.date.fromisoformat(text.strip())
    except ValueError:
        return None
