"""Time as the bot reasons about it: UTC instants, wall clocks, working days.

Everything is stored in UTC and rendered in the reader's timezone; scheduled use cases are given
`now` rather than reading the clock, so a replayed tick and a test see the same moment.
Working days are Monday to Friday in the person's own timezone: public holidays differ by
country and are not modelled.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS_PER_WEEK = 5


def utc_now() -> datetime:
    """The one place the bot reads the clock; callers pass the result down."""
    return datetime.now(UTC)


def zone(name: str | None, fallback: ZoneInfo) -> ZoneInfo:
    """A timezone from its IANA name, or `fallback` when it is missing or unknown here."""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return fallback


def is_working_day(day: date) -> bool:
    """Monday to Friday."""
    return day.weekday() < WEEKDAYS_PER_WEEK


def next_working_day(day: date) -> date:
    """`day` itself when it is a working day, else the Monday after it."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def working_days_before(day: date, count: int) -> date:
    """The date `count` working days before `day`; 0 is the day itself."""
    current = day
    remaining = count
    while remaining > 0:
        current -= timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def working_day_start(day: date, tz: tzinfo, hour: int) -> datetime:
    """`hour`:00 on `day` on a wall clock in `tz`, as a UTC instant.

    On a day whose clocks jump forward over that hour, zoneinfo reads the missing wall time with
    the offset before the jump, so the moment still exists (an hour later on the new clock).
    """
    return datetime.combine(day, time(hour), tzinfo=tz).astimezone(UTC)


def local_moment(day: date, at: time, tz: tzinfo) -> datetime:
    """A wall-clock moment in `tz`, as the UTC instant it is stored as."""
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def iso_week(day: date) -> str:
    """`2026-W48`: the label of the ISO week a day falls in."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _next_midnight(moment: datetime, tz: tzinfo) -> datetime:
    """The start of the local day after the one `moment` falls in, as a UTC instant."""
    day = moment.astimezone(tz).date() + timedelta(days=1)
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def working_hours_between(start: datetime, end: datetime, tz: tzinfo) -> float:
    """Hours from `start` to `end` that fall on a Monday to Friday in `tz`.

    A follow-up answered on Monday morning after a Friday-evening import was not slow: the
    weekend in between is not the owner's time, so it is not counted.
    """
    if end <= start:
        return 0.0
    total = timedelta(0)
    cursor = start
    while cursor < end:
        boundary = min(_next_midnight(cursor, tz), end)
        if is_working_day(cursor.astimezone(tz).date()):
            total += boundary - cursor
        cursor = boundary
    return total.total_seconds() / 3600


def add_working_hours(start: datetime, hours: float, tz: tzinfo) -> datetime:
    """The moment `hours` working hours (Monday to Friday in `tz`) after `start`.

    The inverse of `working_hours_between`, so "due within N working days" and "contacted
    within N working days" are one measure.
    """
    remaining = timedelta(hours=hours)
    cursor = start
    while True:
        boundary = _next_midnight(cursor, tz)
        if is_working_day(cursor.astimezone(tz).date()):
            if cursor + remaining <= boundary:
                return cursor + remaining
            remaining -= boundary - cursor
        cursor = boundary
