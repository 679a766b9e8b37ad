"""Pure decisions about reminders: the owner's reminder day, a snooze's end, the ledger keys.

Working days come from `bot.core.clock` (Monday to Friday in the owner's own timezone); planning
applies the same rule to whole columns with numpy's business days.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from bot.core.clock import is_working_day, next_working_day, working_day_start

SNOOZED = "snoozed"
DM_KIND = "reminder"
ITEM_KIND = "reminder_item"
EVENT_TYPE = "voc_reminder"
MAX_ITEMS_PER_DM = 20  # two blocks each with its buttons, within Slack's 50
SNOOZE_DAY = "day"
SNOOZE_WEEK = "week"


def reminder_day(now: datetime, tz: ZoneInfo, start_hour: int) -> date | None:
    """The owner's local date whose DM may go out at `now`, or None (weekend, or too early)."""
    day = now.astimezone(tz).date()
    if not is_working_day(day) or now < working_day_start(day, tz, start_hour):
        return None
    return day


def snooze_until(now: datetime, tz: tzinfo, span: str, start_hour: int) -> datetime:
    """The start of the working day one working day (or one week) from the presser's today."""
    today = now.astimezone(tz).date()
    target = today + timedelta(days=7 if span == SNOOZE_WEEK else 1)
    return working_day_start(next_working_day(target), tz, start_hour)


def dm_key(user_id: str, day: date) -> str:
    return f"{DM_KIND}:{user_id}:{day.isoformat()}"


def item_key(commitment_id: int, kind: str, occurrence: str) -> str:
    return f"{ITEM_KIND}:{commitment_id}:{kind}:{occurrence}"


def commitment_of_key(key: str) -> int:
    return int(key.split(":")[1])


def kind_of_key(key: str) -> str:
    return key.split(":")[2]
