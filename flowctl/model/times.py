"""The dates and times a project may name: one supported range, for every reader of them.

The schema check (format ``date-time`` and ``date``), lint rules T004 and T005, and the
engine's clock (:func:`flowctl.engine.clock.parse_now`) all ask this module, so a ``now``,
a closed date or an ``active`` window lint accepts is one a run can use.

The range, the years 1970 to 9000, leaves room for every wait and timeout the schemas
allow (each at most a year): a clock started on its last day never passes the year 9999,
where Python's datetimes end.
"""

from __future__ import annotations

import datetime as _dt
import re

#: The first and the last year a date or a ``now`` may be in.
FIRST_YEAR = 1970
LAST_YEAR = 9000

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def range_problem(year: int) -> str | None:
    """Why ``year`` is outside the supported range, or None."""
    if FIRST_YEAR <= year <= LAST_YEAR:
        return None
    return f"the year {year} is outside the supported range {FIRST_YEAR} to {LAST_YEAR}"


def parse_datetime(text: object) -> _dt.datetime:
    """``text`` (ISO 8601, ``Z`` for UTC) as a datetime (naive when it names no offset).

    Raises ValueError with a readable reason for text that is not a real date and time
    (``2026-02-29T10:00``, ``tomorrow``) or one outside the supported range.
    """
    try:
        value = _dt.datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    except ValueError as error:
        raise ValueError(f"not a real ISO 8601 date and time ({error})") from None
    reason = range_problem(value.year)
    if reason:
        raise ValueError(reason)
    return value


def datetime_problem(text: object) -> str | None:
    """Why ``text`` is not a usable date and time, or None."""
    try:
        parse_datetime(text)
    except ValueError as error:
        return str(error)
    return None


def date_problem(text: object) -> str | None:
    """Why ``text`` (``YYYY-MM-DD`` or a date) is not a usable date, or None."""
    if isinstance(text, _dt.date):
        return range_problem(text.year)
    if not isinstance(text, str) or not _DATE.match(text.strip()):
        return "is not written YYYY-MM-DD"
    try:
        day = _dt.date.fromisoformat(text.strip())
    except ValueError as error:
        return f"is not a real date ({error})"
    return range_problem(day.year)
