"""The time a run happens at: one reading of ``now`` for visitors files, chat and explore.

Offline runs never read the real time unless asked: a visitor (or an explored path) without
``now`` runs at :data:`DEFAULT_NOW`, Monday 2026-01-05 10:00 in the project's time zone,
inside most business hours.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from flowctl.model.times import parse_datetime

#: The time of a run that names none (local time of the project): a Monday morning.
DEFAULT_NOW = datetime(2026, 1, 5, 10, 0, 0)


class NowError(ValueError):
    """A ``now`` that is not an ISO 8601 date and time (or not a real one)."""


def parse_now(text: str | None, zone: tzinfo) -> datetime:
    """``text`` as an aware time in ``zone`` (ISO 8601; without an offset it is read in
    ``zone``; ``Z`` is UTC); :data:`DEFAULT_NOW` in ``zone`` for None.

    Raises :class:`NowError` with a readable message for text that is not a real date and
    time (``2026-02-29T10:00``, ``tomorrow``) or is outside the supported years
    (:mod:`flowctl.model.times`, which the schema check of visitors files shares).
    """
    if text is None:
        return DEFAULT_NOW.replace(tzinfo=zone)
    try:
        value = parse_datetime(text)
    except ValueError as error:
        raise NowError(f"{text!r}: {error}") from None
    if value.tzinfo is None:
        return value.replace(tzinfo=zone)
    return value.astimezone(zone)  # never past the year 9999: the supported years end before
