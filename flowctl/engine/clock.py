"""The time a run happens at: one reading of ``now`` for visitors files, chat and explore.

Offline runs never read the real time unless asked: a visitor (or an explored path) without
``now`` runs at :data:`DEFAULT_NOW`, Monday 2026-01-05 10:00 in the project's time zone,
inside most business hours.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

#: The time of a run that names none (local time of the project): a Monday morning.
DEFAULT_NOW = datetime(2026, 1, 5, 10, 0, 0)


class NowError(ValueError):
    """A ``now`` that is not an ISO 8601 date and time (or not a real one)."""


def parse_now(text: str | None, zone: tzinfo) -> datetime:
    """``text`` as an aware time in ``zone`` (ISO 8601; without an offset it is read in
    ``zone``; ``Z`` is UTC); :data:`DEFAULT_NOW` in ``zone`` for None.

    Raises :class:`NowError` with a readable message for text that is not a real date and
    time (``2026-02-29T10:00``, ``tomorrow``).
    """
    if text is None:
        return DEFAULT_NOW.replace(tzinfo=zone)
    try:
        value = datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    except ValueError as error:
        raise NowError(f"not an ISO 8601 date and time: {text!r} ({error})") from None
    if value.tzinfo is None:
        return value.replace(tzinfo=zone)
    try:
        return value.astimezone(zone)
    except OverflowError:
        raise NowError(f"{text!r} is too close to the end of time") from None
