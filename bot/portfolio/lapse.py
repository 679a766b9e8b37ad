"""When the leadership review lapses: admins are told once a week until one is scheduled.

The leadership reviews the customer results at least once a year. When no leadership pack
(`bot.portfolio.leadership`) went out in the last year — counted from the install's first
account when none ever did — and none is scheduled (`VOC_LEADERSHIP_CHANNEL` unset), each admin
(`VOC_ADMINS`) hears of it once per ISO week in their own time, keyed
`leadership_overdue:<user>:<ISO week>`. It is a part of their one DM of the day
(`bot.reminders.parts`): with their reminders when they have some, else a DM of its own, on
the first working day of the week the bot runs after their working day starts.

Like the pack, it is built only when the database holds exactly one workspace's accounts: the
leadership setting serves one install.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from bot.core.clock import iso_week, working_day_start
from bot.core.slack import mrkdwn
from bot.directory import DirectoryUnavailable
from bot.portfolio import queries
from bot.portfolio.leadership import JOB as PACK_KIND
from bot.reminders.parts import DayPart, PartContent
from bot.reminders.people import people_for_workspace
from bot.reminders.rules import reminder_day
from bot.runtime import Runtime
from bot.views.common import section, slack_date

log = logging.getLogger(__name__)

KIND = "leadership_overdue"
YEAR = timedelta(days=365)


@dataclass(frozen=True)
class Lapse:
    """Since when the leadership has not reviewed the portfolio, and whether it ever did."""

    since: datetime
    ever: bool


def lapse(runtime: Runtime, workspace_id: str, now: datetime) -> Lapse | None:
    """The lapse at `now`, or None while a review happened within a year or one is scheduled."""
    if runtime.settings.leadership_channel:
        return None  # scheduled: the pack is owed each period from now on
    with runtime.sessions() as session:
        last = queries.last_sent(session, workspace_id, PACK_KIND)
        since = last or queries.first_account_at(session, workspace_id)
    if since is None or now - since <= YEAR:
        return None
    return Lapse(since, last is not None)


def plan_parts(runtime: Runtime, now: datetime) -> list[DayPart]:
    """Admins on a working day whose week's notice is not settled; read-only, one directory
    lookup per admin (cached), and none while the review has not lapsed."""
    admins = sorted(runtime.settings.admins)
    if not admins:
        return []
    with runtime.sessions() as session:
        workspaces = queries.workspaces_with_accounts(session)
    if len(workspaces) != 1 or lapse(runtime, workspaces[0], now) is None:
        return []
    workspace_id = workspaces[0]
    people = people_for_workspace(runtime, workspace_id)
    if people is None:
        return []
    start_hour = runtime.settings.workday_start_hour
    parts: dict[str, DayPart] = {}
    for admin in admins:
        try:
            person = people.recipient(admin)
        except DirectoryUnavailable as busy:
            log.warning("leadership notice for %s waits for the next tick: %s", admin, busy)
            continue
        if person is None:
            continue
        tz = ZoneInfo(str(person.tz))
        day = reminder_day(now, tz, start_hour)
        if day is None:
            continue
        week = iso_week(day)
        parts[person.user_id] = DayPart(
            kind=KIND,
            key=f"{KIND}:{person.user_id}:{week}",
            workspace_id=workspace_id,
            user_id=person.user_id,
            tz_name=str(person.tz),
            day=day,
            send_at=working_day_start(day, tz, start_hour),
            description=f"notice that no leadership review happened in a year ({week})",
            render=partial(render, workspace_id=workspace_id, tz_name=str(person.tz)),
        )
    with runtime.sessions() as session:
        settled = queries.settled_keys(session, workspace_id, [p.key for p in parts.values()])
    return [part for part in parts.values() if part.key not in settled]


def render(
    runtime: Runtime, now: datetime, *, workspace_id: str, tz_name: str
) -> PartContent | None:
    """The notice as things stand when it is sent; None once a review is scheduled or held."""
    found = lapse(runtime, workspace_id, now)
    if found is None:
        return None
    tz = ZoneInfo(tz_name)
    when = slack_date(found.since, "{date_long}", tz)
    last = (
        mrkdwn("The last leadership review pack went out on {}.", when)
        if found.ever
        else mrkdwn("None has gone out since the first accounts arrived on {}.", when)
    )
    text = mrkdwn(
        ":warning: *The leadership has not reviewed the customer results in over a year.* "
        "{} Set `VOC_LEADERSHIP_CHANNEL` and the portfolio pack is posted there once per "
        "`VOC_LEADERSHIP_CADENCE` (quarterly unless set).",
        last,
    )
    return PartContent(
        mrkdwn("No leadership review of the customer results in over a year"), [section(text)]
    )
