"""Start conditions, schedules, time zones and date windows (T).

The condition analysis lives in :mod:`flowctl.expr.dnf` (shared with explore); it is
sound, so the rules only report what is provably impossible.
"""

from __future__ import annotations

import datetime as _dt
import difflib
from collections.abc import Iterator
from functools import lru_cache

from flowctl.expr.dnf import (
    condition_dnf,
    conditions_exclusive,
    dnf_and,
    dnf_impossible,
    event_dnf,
)
from flowctl.lint.context import LintContext
from flowctl.lint.registry import problem, rule
from flowctl.model.flow import DateWindow, Flow
from flowctl.model.problem import Problem
from flowctl.model.schedule_syntax import DAYS, parse_date, parse_days
from flowctl.model.schedule_syntax import explain_range as parse_range
from flowctl.model.times import FIRST_YEAR, LAST_YEAR, date_problem


def _window(window: DateWindow | None) -> tuple[_dt.date, _dt.date] | None:
    """The window as (first, last) dates; None when the flow has no (usable) window."""
    if window is None:
        return None
    start = parse_date(window.start) if window.start else _dt.date.min
    end = parse_date(window.end) if window.end else _dt.date.max
    if start is None or end is None:
        return None
    return start, end


def windows_overlap(first: DateWindow | None, second: DateWindow | None) -> bool:
    a, b = _window(first), _window(second)
    if a is None or b is None:
        return True
    return a[0] <= b[1] and b[0] <= a[1]


# --------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------


def _event_keys(flow: Flow) -> list[str]:
    if flow.start is None:
        return []
    keys = []
    for event in flow.start.on:
        key = f"custom:{event.name}" if event.type == "custom" else event.type
        if key not in keys:
            keys.append(key)
    return keys


@rule("T001", "start-conflict", scope="project")
def start_conflict(ctx: LintContext) -> Iterator[Problem]:
    """Two flows can start on the same event with the same priority.

    When several flows match one event the one with the highest `priority` starts; a tie
    leaves the choice to file order, which nobody reviewing a flow can see. Flows do not
    conflict when their `when` conditions exclude each other (`device.type == 'mobile'`
    against `device.type == 'desktop'`) or their `active` date windows do not overlap.

    Bad:
        # pricing.flow.yaml
        start: {on: page_view, when: "page.path == '/pricing'"}
        # promo.flow.yaml
        start: {on: page_view, when: "visitor.returning"}

    Good:
        # pricing.flow.yaml
        start: {on: page_view, when: "page.path == '/pricing'", priority: 10}
        # promo.flow.yaml
        start: {on: page_view, when: "visitor.returning", priority: 5}
    """
    seen: list[Flow] = []
    for flow in ctx.project.flows:
        start = flow.start
        if start is None or not start.on:
            continue
        keys = _event_keys(flow)
        for earlier in seen:
            assert earlier.start is not None
            if earlier.start.priority != start.priority:
                continue
            if not windows_overlap(earlier.start.active, start.active):
                continue
            shared = [k for k in keys if k in _event_keys(earlier)
                      and not conditions_exclusive(earlier.start.when, start.when, k)]
            if not shared:
                continue
            yield problem(
                f"flow '{flow.id}' and flow '{earlier.id}' ({earlier.file}:"
                f"{earlier.start.span.line}) can both start on {shared[0]} with the same "
                f"priority {start.priority}",
                start.priority_span or start.span,
                "give one of them a higher `priority`, or make their `when` conditions "
                "exclude each other",
            )
            break
        seen.append(flow)


@rule("T002", "impossible-start-condition")
def impossible_start_condition(flow: Flow, ctx: LintContext) -> Iterator[Problem]:
    """A start condition can never hold, so the flow never starts.

    Within an `all` (or one expression joined by `and`), two tests of the same attribute
    contradict each other: `x == 'a'` and `x == 'b'`, `x == 'a'` and `x != 'a'`, a value
    outside an `in` list, numeric ranges that do not intersect, `x` and `not x`. An `any`
    is impossible only when every one of its branches is.

    Bad:
        start:
          on: page_view
          when:
            all: ["device.type == 'mobile'", "device.type == 'desktop'"]

    Good:
        start:
          on: page_view
          when:
            any: ["device.type == 'mobile'", "device.type == 'desktop'"]
    """
    start = flow.start
    if start is None or start.when is None:
        return
    dnf = condition_dnf(start.when)
    pairs = dnf_impossible(dnf)
    if not pairs:
        # impossible on each event the flow starts on (``event.type == 'chat_opened'`` in
        # a flow that starts on page_view)?
        keys = _event_keys(flow)
        per_event = [dnf_impossible(dnf_and(dnf, event_dnf(key))) for key in keys]
        if not keys or any(found is None for found in per_event):
            return
        pairs = [pair for found in per_event for pair in found or []]
        if not pairs:  # an empty `any`: the schema check reports it
            return
    first, second = pairs[0]
    why = f"`{first}` and `{second}` cannot both hold"
    if len(pairs) > 1:
        why += " (and every other alternative is contradictory too)"
    if first.span is None or second.span is None:
        why += f" (the flow starts on {', '.join(_event_keys(flow))})"
    spans = [a.span for a in (first, second) if a.span is not None]
    shown = max(spans, key=lambda span: (span.line, span.column)) if spans else start.when.span
    yield problem(f"start condition of flow '{flow.id}' can never hold: {why}", shown,
                  "remove one of the contradictory tests, or use `any` for alternatives")


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    import zoneinfo

    return {zone.lower(): zone for zone in zoneinfo.available_timezones()}


def _valid_zone(name: str) -> bool:
    import zoneinfo

    if not name or name != name.strip():
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _zone_hint(name: str) -> str:
    zones = _zones()
    exact = zones.get(name.strip().lower())
    if exact:
        return f"did you mean '{exact}'? (zone names are case-sensitive)"
    close = difflib.get_close_matches(name.strip().lower().replace(" ", "_"), list(zones),
                                      n=3, cutoff=0.6)
    if close:
        return "did you mean " + " or ".join(f"'{zones[c]}'" for c in close) + "?"
    return "use an IANA time zone name such as 'Europe/Berlin' or 'UTC'"


@rule("T003", "invalid-timezone", scope="project")
def invalid_timezone(ctx: LintContext) -> Iterator[Problem]:
    """A `timezone` in flowctl.yaml is not an IANA time zone.

    `now` and every schedule are evaluated in the project's time zone (or the schedule's
    own); an unknown name would make them fail at run time.

    Bad:
        timezone: Europe/Berlyn

    Good:
        timezone: Europe/Berlin
    """
    config = ctx.config
    if config is None:
        return
    refs = [("project", config.timezone)]
    refs += [(f"schedule '{name}'", s.timezone) for name, s in config.schedules.items()]
    for owner, ref in refs:
        if ref is None or _valid_zone(ref.name):
            continue
        yield problem(f"time zone '{ref.name}' of the {owner} is not an IANA time zone",
                      ref.span, _zone_hint(ref.name))


@rule("T004", "invalid-schedule", scope="project")
def invalid_schedule(ctx: LintContext) -> Iterator[Problem]:
    """A schedule in flowctl.yaml has a bad day, time range or closed date.

    Days are `mon`..`sun`, ranges like `mon-fri`, comma lists like `mon,wed`, or `daily`,
    `weekdays`, `weekends`. Times are `HH:MM-HH:MM` ranges (start before end, `24:00`
    allowed as an end) that do not overlap on the same day. `closed` lists real ISO dates,
    in the years 1970 to 9000.

    Bad:
        schedules:
          business_hours:
            hours: {mon-fry: "09:00-17:30", sat: "14:00-10:00"}
            closed: [2026-02-30]

    Good:
        schedules:
          business_hours:
            hours: {mon-fri: "09:00-17:30", sat: "10:00-14:00"}
            closed: [2026-12-24]
    """
    config = ctx.config
    if config is None:
        return
    for name, schedule in config.schedules.items():
        taken: dict[int, list[tuple[int, int, str]]] = {}
        for hours in schedule.hours:
            days = parse_days(hours.days)
            if days is None:
                yield problem(
                    f"schedule '{name}': '{hours.days}' is not a day spec",
                    hours.span,
                    "use mon..sun, a range like mon-fri, a list like mon,wed, or daily, "
                    "weekdays, weekends",
                )
            for text in hours.ranges:
                parsed = parse_range(text)
                if isinstance(parsed, str):
                    yield problem(f"schedule '{name}': time range '{text}' of '{hours.days}' "
                                  f"{parsed}", hours.span, "write ranges as HH:MM-HH:MM, "
                                  "e.g. 09:00-17:30")
                    continue
                if days is None:
                    continue
                clash = None
                for day in sorted(days):
                    for start, end, other in taken.get(day, []):
                        if parsed[0] < end and start < parsed[1]:
                            clash = (day, other)
                            break
                    if clash:
                        break
                if clash:
                    yield problem(
                        f"schedule '{name}': '{text}' of '{hours.days}' overlaps "
                        f"'{clash[1]}' on {DAYS[clash[0]]}",
                        hours.span, "merge the two ranges or make them disjoint",
                    )
                for day in days:
                    taken.setdefault(day, []).append((parsed[0], parsed[1], text))
        for ref in schedule.closed:
            reason = date_problem(ref.name)
            if reason:
                yield problem(f"schedule '{name}': closed date '{ref.name}': {reason}",
                              ref.span, _date_hint(reason, "2026-12-24"))


def _date_hint(reason: str, example: str) -> str:
    if "supported range" in reason:
        return f"choose a date in the years {FIRST_YEAR} to {LAST_YEAR}"
    return f"write dates as YYYY-MM-DD, e.g. {example}"


@rule("T005", "invalid-date-window")
def invalid_date_window(flow: Flow, ctx: LintContext) -> Iterator[Problem]:
    """A start's `active` window has a date that is not a real ISO date (or is outside the
    years 1970 to 9000), or ends before it begins.

    `from` and `until` are ISO dates (`YYYY-MM-DD`), both inclusive; either may be left
    out. A window whose `from` is after its `until` never opens.

    Bad:
        start: {on: page_view, active: {from: 2026-12-31, until: 2026-12-01}}

    Good:
        start: {on: page_view, active: {from: 2026-12-01, until: 2026-12-31}}
    """
    start = flow.start
    if start is None or start.active is None:
        return
    window = start.active
    dates: dict[str, _dt.date | None] = {}
    for key, text, span in (("from", window.start, window.start_span),
                            ("until", window.end, window.end_span)):
        if text is None:
            continue
        reason = date_problem(text)
        if reason:
            yield problem(f"active.{key} '{text}': {reason}", span or window.span,
                          _date_hint(reason, "2026-12-31"))
        dates[key] = None if reason else parse_date(text)
    first, last = dates.get("from"), dates.get("until")
    if first is not None and last is not None and first > last:
        yield problem(
            f"active window of flow '{flow.id}' starts ({window.start}) after it ends "
            f"({window.end}): the flow never starts",
            window.end_span or window.span, "swap `from` and `until`",
        )
