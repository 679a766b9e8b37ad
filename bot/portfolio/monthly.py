"""The executive's own digest: once a month, each sponsor hears about their accounts.

Owed on the month's first working day from `VOC_DIGEST_HOUR` in the sponsor's timezone, keyed
`exec_digest:<user>:<YYYY-MM>` in the delivery ledger, so it goes once however many ticks,
workers and hosts ask. It is a part of the sponsor's one DM of the day (`bot.reminders.parts`):
a sponsor who also has reminders or follow-ups that day gets one DM with both. When their DM
of that day went before the digest hour (`VOC_WORKDAY_START_HOUR` earlier than
`VOC_DIGEST_HOUR`, or the bot was down), the digest rides in their next working day's DM.

What it says is decided when it is sent (`render`): what changed since the previous digest
(decision makers whose loyalty moved, accounts newly at risk, champion changes — all from a
latest cycle that arrived since then), overdue commitments, follow-ups past the SLA, and the
next reviews. With nothing changed and nothing overdue the key is withdrawn: nothing is sent
that month.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from bot.core.clock import is_working_day, next_working_day, working_day_start
from bot.directory import DirectoryUnavailable
from bot.portfolio import queries
from bot.portfolio.rules import monthly_news
from bot.portfolio.service import portfolio
from bot.reminders.parts import DayPart, PartContent
from bot.reminders.people import people_for_workspace
from bot.runtime import Runtime
from bot.views.portfolio import monthly_message

log = logging.getLogger(__name__)

JOB = "exec_digest"
NEWS_WINDOW = timedelta(days=35)  # longer than any gap between two first working days


@dataclass(frozen=True)
class DueExecDigest:
    workspace_id: str
    user_id: str
    sponsor: tuple[str, ...]  # as rosters name them: the Slack ID and/or emails
    tz: str
    month: str  # YYYY-MM in the sponsor's timezone
    since: datetime  # the previous month's digest moment: "what changed" starts here
    day: date  # the sponsor's local day whose DM carries it


def first_working_day(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first if is_working_day(first) else next_working_day(first)


def is_digest_day(day: date) -> bool:
    """The month's first working day, or the working day after it: the day a digest is owed,
    and the one it waits for when the first day's DM had gone before the digest hour."""
    first = first_working_day(day.year, day.month)
    return day in (first, next_working_day(first + timedelta(days=1)))


def could_be_digest_day(now: datetime) -> bool:
    """Whether some timezone (UTC−12 to UTC+14) is on one of its month's digest days now."""
    return any(is_digest_day(now.date() + timedelta(days=offset)) for offset in (-1, 0, 1))


def digest_moment(year: int, month: int, tz: ZoneInfo, hour: int) -> datetime:
    return working_day_start(first_working_day(year, month), tz, hour)


def _previous_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def plan_parts(runtime: Runtime, now: datetime) -> list[DayPart]:
    """Sponsors on a digest day past the digest hour whose key is not settled, as parts of
    their DM of the day. Read-only; one directory lookup per sponsor at most (cached for hours
    by the scheduler's directory), and none on the other days of the month."""
    if not could_be_digest_day(now):
        return []  # no timezone is on a digest day: no lookups at all
    with runtime.sessions() as session:
        sponsors = queries.sponsors_with_news(
            session,
            arrived_after=now - NEWS_WINDOW,
            now=now,
            latest_today=(now + timedelta(hours=14)).date(),
        )
    by_workspace: dict[str, list[str]] = defaultdict(list)
    for workspace_id, sponsor in sponsors:
        by_workspace[workspace_id].append(sponsor)
    due: list[DayPart] = []
    for workspace_id, names in by_workspace.items():
        due += _due_in(runtime, workspace_id, names, now)
    return due


def _due_in(runtime: Runtime, workspace_id: str, names: list[str], now: datetime) -> list[DayPart]:
    people = people_for_workspace(runtime, workspace_id)
    if people is None:
        return []
    settings = runtime.settings
    hour = max(settings.digest_hour, settings.workday_start_hour)  # never before the day's DM
    owed: dict[str, DueExecDigest] = {}
    for name in sorted(names):
        try:
            person = people.recipient(name)
        except DirectoryUnavailable as busy:  # Slack busy: this sponsor waits for the next tick
            log.warning("executive digest for %s waits for the next tick: %s", name, busy)
            continue
        if person is None:
            continue
        tz = ZoneInfo(str(person.tz))
        local = now.astimezone(tz)
        if not is_digest_day(local.date()) or now < working_day_start(local.date(), tz, hour):
            continue
        earlier = owed.get(person.user_id)
        refs = (*earlier.sponsor, name) if earlier else (name,)
        owed[person.user_id] = DueExecDigest(
            workspace_id,
            person.user_id,
            refs,
            str(person.tz),
            f"{local:%Y-%m}",
            digest_moment(*_previous_month(local.year, local.month), tz, settings.digest_hour),
            local.date(),
        )
    keys = {user: key_of(item) for user, item in owed.items()}
    with runtime.sessions() as session:
        settled = queries.settled_keys(session, workspace_id, list(keys.values()))
    return [
        _part(workspace_id, item, hour) for user, item in owed.items() if keys[user] not in settled
    ]


def _part(workspace_id: str, item: DueExecDigest, hour: int) -> DayPart:
    tz = ZoneInfo(item.tz)
    return DayPart(
        kind=JOB,
        key=key_of(item),
        workspace_id=workspace_id,
        user_id=item.user_id,
        tz_name=item.tz,
        day=item.day,
        send_at=working_day_start(item.day, tz, hour),
        description=f"executive digest ({item.month})",
        render=partial(render, item=item),
    )


def key_of(item: DueExecDigest) -> str:
    return f"{JOB}:{item.user_id}:{item.month}"


def render(runtime: Runtime, now: datetime, *, item: DueExecDigest) -> PartContent | None:
    """The digest as the database reads now; None when nothing changed and nothing is overdue."""
    tz = ZoneInfo(item.tz)
    view = portfolio(runtime, item.workspace_id, sponsor=list(item.sponsor), now=now, tz=tz)
    found = monthly_news(view, item.since)
    if found.empty:
        return None
    text, blocks = monthly_message(found, item.month, item.since, tz)
    return PartContent(text, blocks)
