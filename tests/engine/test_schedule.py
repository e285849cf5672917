"""Schedules and date windows, parsed exactly as lint rule T004 validates them."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from flowctl.expr.schedule import (
    ScheduleCalendar,
    explain_range,
    parse_date,
    parse_days,
    parse_range,
    within_window,
)
from flowctl.model.blocks import Ref
from flowctl.model.project import HoursRule, Schedule
from flowctl.model.span import SourceSpan

SPAN = SourceSpan("flowctl.yaml", 1, 1)
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(("spec", "days"), [
    ("mon", {0}),
    ("SUN", {6}),
    ("mon-fri", {0, 1, 2, 3, 4}),
    ("mon - wed", {0, 1, 2}),
    ("mon,wed,fri", {0, 2, 4}),
    ("mon-tue, sat", {0, 1, 5}),
    ("daily", set(range(7))),
    ("weekdays", {0, 1, 2, 3, 4}),
    ("weekends", {5, 6}),
    ("weekends,mon", {0, 5, 6}),
    ("mon-mon", {0}),
    ("fri-mon", None),
    ("mon-fry", None),
    ("monday", None),
    ("", None),
    ("mon,", None),
    ("mon,,tue", None),
    ("mon-", None),
])
def test_parse_days(spec: str, days: set[int] | None) -> None:
    assert parse_days(spec) == days


@pytest.mark.parametrize(("text", "expected"), [
    ("09:00-17:30", (540, 1050)),
    ("9:00-17:30", (540, 1050)),
    (" 00:00 - 24:00 ", (0, 1440)),
    ("10:00-14:00", (600, 840)),
    ("23:00-23:59", (1380, 1439)),
    ("14:00-10:00", None),
    ("10:00-10:00", None),
    ("24:00-24:00", None),
    ("09:60-10:00", None),
    ("25:00-26:00", None),
    ("0900-1700", None),
    ("09:00", None),
    ("9-17", None),
    ("22:00-02:00", None),
])
def test_parse_range(text: str, expected: tuple[int, int] | None) -> None:
    assert parse_range(text) == expected
    explained = explain_range(text)
    assert (explained if expected is not None else None) == expected
    if expected is None:
        assert isinstance(explained, str) and explained


def test_parse_date() -> None:
    assert parse_date("2026-12-24") == dt.date(2026, 12, 24)
    assert parse_date("2026-02-30") is None
    assert parse_date("24.12.2026") is None
    assert parse_date(dt.date(2026, 1, 1)) == dt.date(2026, 1, 1)
    assert parse_date(None) is None


def schedule(hours: dict[str, str | list[str]], closed: list[str] = (), tz: str | None = None) -> Schedule:
    rules = tuple(HoursRule(days, (r,) if isinstance(r, str) else tuple(r), SPAN)
                  for days, r in hours.items())
    return Schedule("business_hours", SPAN, rules, tuple(Ref(d, SPAN) for d in closed),
                    Ref(tz, SPAN) if tz else None)


BUSINESS = schedule({"mon-fri": "09:00-17:30", "sat": ["10:00-12:00", "13:00-14:00"]},
                    ["2026-12-24", "2026-12-25"])


@pytest.mark.parametrize(("when", "open_"), [
    ("2026-11-24T10:00:00+01:00", True),    # Tuesday morning
    ("2026-11-24T09:00:00+01:00", True),    # opening minute
    ("2026-11-24T08:59:59+01:00", False),
    ("2026-11-24T17:29:00+01:00", True),
    ("2026-11-24T17:30:00+01:00", False),   # the end is exclusive
    ("2026-11-24T09:30:00+00:00", True),    # 10:30 in Berlin
    ("2026-11-24T16:45:00+00:00", False),   # 17:45 in Berlin
    ("2026-11-24T08:30:00+00:00", True),    # 09:30 in Berlin
    ("2026-11-28T11:00:00+01:00", True),    # Saturday, first range
    ("2026-11-28T12:30:00+01:00", False),   # Saturday lunch gap
    ("2026-11-28T13:30:00+01:00", True),
    ("2026-11-29T11:00:00+01:00", False),   # Sunday
    ("2026-12-24T10:00:00+01:00", False),   # closed date
    ("2026-12-23T23:30:00-05:00", False),   # 05:30 on the 24th in Berlin
    ("2026-07-01T08:30:00+00:00", True),    # 10:30 CEST (summer time)
    ("2026-07-01T15:45:00+00:00", False),   # 17:45 CEST
])
def test_is_open(when: str, open_: bool) -> None:
    calendar = ScheduleCalendar.from_model(BUSINESS, "Europe/Berlin")
    assert calendar.is_open(dt.datetime.fromisoformat(when)) is open_


def test_naive_now_is_local_time() -> None:
    calendar = ScheduleCalendar.from_model(BUSINESS, "Europe/Berlin")
    assert calendar.is_open(dt.datetime(2026, 11, 24, 9, 15))
    assert not calendar.is_open(dt.datetime(2026, 11, 24, 8, 15))


def test_schedule_time_zone_wins() -> None:
    ny = schedule({"daily": "09:00-17:00"}, tz="America/New_York")
    calendar = ScheduleCalendar.from_model(ny, "Europe/Berlin")
    assert calendar.is_open(dt.datetime(2026, 11, 24, 15, 0, tzinfo=BERLIN))  # 09:00 in NY
    assert not calendar.is_open(dt.datetime(2026, 11, 24, 14, 59, tzinfo=BERLIN))


def test_unknown_time_zone_falls_back() -> None:
    bad = schedule({"daily": "09:00-17:00"}, tz="Mars/Olympus")
    assert ScheduleCalendar.from_model(bad, "Europe/Berlin").tz == BERLIN
    assert ScheduleCalendar.from_model(bad, "Nowhere/Else").tz == dt.UTC


def test_invalid_entries_are_ignored() -> None:
    messy = schedule({"mon-fry": "09:00-17:00", "tue": ["14:00-10:00", "10:00-11:00"],
                      "daily": "24:00-25:00"}, ["2026-02-30"])
    calendar = ScheduleCalendar.from_model(messy, "UTC")
    assert calendar.ranges == {1: ((600, 660),)}
    assert calendar.closed == frozenset()


def test_all_day_and_empty() -> None:
    always = ScheduleCalendar.build("x", [("daily", "00:00-24:00")], tz="UTC")
    assert always.is_open(dt.datetime(2026, 1, 1, 23, 59, 59, tzinfo=dt.UTC))
    assert always.is_open(dt.datetime(2026, 1, 1, 0, 0, tzinfo=dt.UTC))
    never = ScheduleCalendar.build("y", [], tz="UTC")
    assert not never.is_open(dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC))


@pytest.mark.parametrize(("when", "start", "end", "inside"), [
    ("2026-11-24T10:00:00+01:00", "2026-11-24", "2026-12-31", True),
    ("2026-11-24T00:00:00+01:00", "2026-11-24", None, True),          # first day inclusive
    ("2026-11-23T23:59:00+01:00", "2026-11-24", None, False),
    ("2026-11-23T23:30:00+00:00", "2026-11-24", None, True),          # already the 24th in Berlin
    ("2026-12-31T23:59:00+01:00", None, "2026-12-31", True),          # last day inclusive
    ("2026-12-31T23:30:00+00:00", None, "2026-12-31", False),         # 2027 in Berlin
    ("2026-06-01T12:00:00+02:00", None, None, True),
    ("2026-12-15T12:00:00+01:00", "2026-12-31", "2026-12-01", False),  # inverted never opens
    ("2026-12-15T12:00:00+01:00", "2026-02-30", None, False),          # invalid bound keeps it shut
    ("2026-12-15T12:00:00+01:00", dt.date(2026, 12, 1), dt.date(2026, 12, 15), True),
])
def test_within_window(when: str, start: object, end: object, inside: bool) -> None:
    assert within_window(dt.datetime.fromisoformat(when), start, end, "Europe/Berlin") is inside
