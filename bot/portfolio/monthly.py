"""The executive's own digest: one DM a month to each sponsor about their accounts.

Due on the month's first working day from `VOC_DIGEST_HOUR` in the sponsor's timezone,
keyed `exec_digest:<user>:<YYYY-MM>` in the delivery ledger, so it goes once however many
ticks, workers and hosts ask. It is its own DM, not part of the daily reminder bundle: the
issue promises one DM per month, and a month's summary should not wait on, or crowd, the
day's to-do list.

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
from zoneinfo import ZoneInfo

from slack_sdk import WebClient

from bot.core.clock import is_working_day, next_working_day, working_day_start
from bot.delivery.jobs import Delivered, DueItem
from bot.delivery.post import Delivery, Message, post_once
from bot.directory import DirectoryUnavailable
from bot.portfolio import queries
from bot.portfolio.rules import monthly_news
from bot.portfolio.service import portfolio
from bot.reminders.people import people_for_workspace
from bot.runtime import Runtime
from bot.views.portfolio import monthly_message

log = logging.getLogger(__name__)

JOB = "exec_digest"
EVENT_TYPE = "voc_exec_digest"
NEWS_WINDOW = timedelta(days=35)  # longer than any gap between two first working days


@dataclass(frozen=True)
class DueExecDigest:
    user_id: str
    sponsor: tuple[str, ...]  # as rosters name them: the Slack ID and/or emails
    tz: str
    month: str  # YYYY-MM in the sponsor's timezone
    since: datetime  # the previous month's digest moment: "what changed" starts here


def first_working_day(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first if is_working_day(first) else next_working_day(first)


def could_be_first_working_day(now: datetime) -> bool:
    """Whether some timezone (UTC−12 to UTC+14) is on its month's first working day now."""
    days = (now.date() + timedelta(days=offset) for offset in (-1, 0, 1))
    return any(day == first_working_day(day.year, day.month) for day in days)


def digest_moment(year: int, month: int, tz: ZoneInfo, hour: int) -> datetime:
    return working_day_start(first_working_day(year, month), tz, hour)


def _previous_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def find_due(runtime: Runtime, now: datetime) -> list[DueItem]:
    """Sponsors on their month's first working day, past the digest hour, whose key is not
    settled. Read-only; one directory lookup per sponsor at most (cached for hours by the
    scheduler's directory), and none on the other days of the month."""
    if not could_be_first_working_day(now):
        return []  # no timezone is on a month's first working day: no lookups at all
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
    due: list[DueItem] = []
    for workspace_id, names in by_workspace.items():
        due += _due_in(runtime, workspace_id, names, now)
    return due


def _due_in(runtime: Runtime, workspace_id: str, names: list[str], now: datetime) -> list[DueItem]:
    people = people_for_workspace(runtime, workspace_id)
    if people is None:
        return []
    hour = runtime.settings.digest_hour
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
        if local.date() != first_working_day(local.year, local.month):
            continue
        if now < digest_moment(local.year, local.month, tz, hour):
            continue
        earlier = owed.get(person.user_id)
        refs = (*earlier.sponsor, name) if earlier else (name,)
        owed[person.user_id] = DueExecDigest(
            person.user_id,
            refs,
            str(person.tz),
            f"{local:%Y-%m}",
            digest_moment(*_previous_month(local.year, local.month), tz, hour),
        )
    keys = {user: key_of(item) for user, item in owed.items()}
    with runtime.sessions() as session:
        settled = queries.settled_keys(session, workspace_id, list(keys.values()))
    return [
        DueItem(JOB, keys[user], workspace_id, describe(item, hour), item)
        for user, item in owed.items()
        if keys[user] not in settled
    ]


def describe(item: DueExecDigest, hour: int) -> str:
    """`executive digest DM to U… at Tue 2026-12-01 09:00 Europe/Paris (2026-12)`."""
    tz = ZoneInfo(item.tz)
    year, month = (int(part) for part in item.month.split("-"))
    local = digest_moment(year, month, tz, hour).astimezone(tz)
    return f"executive digest DM to {item.user_id} at {local:%a %Y-%m-%d %H:%M} {tz} ({item.month})"


def key_of(item: DueExecDigest) -> str:
    return f"{JOB}:{item.user_id}:{item.month}"


def deliver(runtime: Runtime, client: WebClient, item: DueItem, now: datetime) -> Delivered:
    due: DueExecDigest = item.payload
    tz = ZoneInfo(due.tz)

    def render() -> Message | None:
        view = portfolio(runtime, item.workspace_id, sponsor=list(due.sponsor), now=now, tz=tz)
        found = monthly_news(view, due.since)
        if found.empty:
            return None
        text, blocks = monthly_message(found, due.month, due.since, tz)
        return Message(text, blocks)

    delivery = Delivery(item.workspace_id, item.key, JOB, due.user_id, EVENT_TYPE)
    posted = post_once(runtime.sessions, client, delivery, render, now)
    return Delivered(posted.outcome, posted.detail or None)
