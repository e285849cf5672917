"""Opening hours (``schedules`` of ``flowctl.yaml``) and ``start.active`` date windows.

This module is the single definition of the schedule syntax: lint rule T004 validates with
the same :func:`parse_days`, :func:`explain_range` and :func:`parse_date` that the engine
interprets with, so a schedule lint accepts means exactly what the engine does.

* Days: ``mon`` .. ``sun``, a range ``mon-fri`` (first day not after the last), a comma list
  ``mon,wed,fri`` (items may be ranges or groups), or the groups ``daily``, ``weekdays``,
  ``weekends``; case-insensitive, spaces around items ignored.
* Times: ``HH:MM-HH:MM`` (one or two hour digits), start before end, ``24:00`` allowed as an
  end only; a range cannot cross midnight.  A schedule is open at ``start <= t < end``.
* ``closed``: ISO dates (``YYYY-MM-DD``) on which the schedule is closed all day.

A schedule is read in its own ``timezone`` when it has one, else in the project's.  Entries
that do not parse (lint reports them) are ignored at run time.
"""

from __future__ import annotations

import datetime as _dt
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flowctl.model.project import Project, Schedule
from flowctl.model.schedule_syntax import (
    DAY_GROUPS,
    DAYS,
    explain_range,
    parse_date,
    parse_days,
    parse_range,
)


def zone(name: str | _dt.tzinfo | None) -> _dt.tzinfo:
    """The time zone called ``name`` (a ``tzinfo`` is returned as it is; None is UTC).

    Raises ``ValueError`` for an unknown name.
    """
    if name is None:
        return _dt.UTC
    if isinstance(name, _dt.tzinfo):
        return name
    try:
        return zoneinfo.ZoneInfo(str(name))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def project_zone(project: Project) -> _dt.tzinfo:
    """The project's time zone (``timezone`` of flowctl.yaml); UTC when absent or unknown
    (lint reports an unknown name)."""
    config = project.config
    name = config.timezone.name if config is not None and config.timezone is not None else "UTC"
    try:
        return zone(name)
    except ValueError:
        return zoneinfo.ZoneInfo("UTC")


def _local(now: _dt.datetime, tz: _dt.tzinfo) -> _dt.datetime:
    """``now`` in ``tz``; a naive ``now`` is taken to be in ``tz`` already."""
    if now.tzinfo is None:
        return now.replace(tzinfo=tz)
    return now.astimezone(tz)


@dataclass(frozen=True)
class ScheduleCalendar:
    """A schedule ready for questions: per weekday, the open ranges in minutes."""

    name: str
    tz: _dt.tzinfo
    ranges: Mapping[int, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    closed: frozenset[_dt.date] = frozenset()

    @classmethod
    def from_model(cls, schedule: Schedule, default_tz: str | _dt.tzinfo | None) -> ScheduleCalendar:
        """Build from the model; the schedule's own ``timezone`` wins over ``default_tz``.

        An unknown time zone (lint reports it) falls back to ``default_tz``, then UTC.
        """
        tz: _dt.tzinfo = _dt.UTC
        for candidate in (schedule.timezone.name if schedule.timezone else None, default_tz):
            if candidate is None:
                continue
            try:
                tz = zone(candidate)
                break
            except ValueError:
                continue
        return cls.build(schedule.name, ((h.days, h.ranges) for h in schedule.hours),
                         (ref.name for ref in schedule.closed), tz)

    @classmethod
    def build(cls, name: str, hours: Iterable[tuple[str, Iterable[str]]],
              closed: Iterable[Any] = (), tz: str | _dt.tzinfo | None = None) -> ScheduleCalendar:
        """Build from plain data: ``hours`` as (day spec, ranges) pairs, ``closed`` dates."""
        per_day: dict[int, list[tuple[int, int]]] = {}
        for days_spec, ranges in hours:
            days = parse_days(days_spec)
            if days is None:
                continue
            if isinstance(ranges, str):
                ranges = [ranges]
            parsed = [r for r in (parse_range(text) for text in ranges) if r is not None]
            if not parsed:
                continue
            for day in days:
                per_day.setdefault(day, []).extend(parsed)
        dates = frozenset(d for d in (parse_date(item) for item in closed) if d is not None)
        return cls(name, zone(tz),
                   {day: tuple(sorted(spans)) for day, spans in per_day.items()}, dates)

    def is_open(self, now: _dt.datetime) -> bool:
        """Is ``now`` (converted to the schedule's time zone) inside an open range?"""
        local = _local(now, self.tz)
        if local.date() in self.closed:
            return False
        minute = local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self.ranges.get(local.weekday(), ()))


def within_window(now: _dt.datetime, start: Any, end: Any,
                  tz: str | _dt.tzinfo | None = None) -> bool:
    """Is ``now``'s date (in ``tz``) inside the inclusive window ``start`` .. ``end``?

    ``start`` and ``end`` are ISO date strings or dates; None leaves that side open.  A
    bound that is not a real date (lint reports it) keeps the window shut.  An unknown
    time zone falls back to UTC.
    """
    try:
        zone_info = zone(tz)
    except ValueError:
        zone_info = _dt.UTC
    today = _local(now, zone_info).date()
    if start is not None:
        first = parse_date(start)
        if first is None or today < first:
            return False
    if end is not None:
        last = parse_date(end)
        if last is None or today > last:
            return False
    return True


__all__ = [
    "DAYS",
    "DAY_GROUPS",
    "ScheduleCalendar",
    "explain_range",
    "parse_date",
    "parse_days",
    "parse_range",
    "within_window",
    "zone",
]
