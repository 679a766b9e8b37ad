"""Escalation: promises to customers that stay late reach the people who answer for the account.

- A commitment overdue by more than `overdue_escalation_days` (default 7) is raised once a week to
  its account's manager and, for strategic accounts, to the executive sponsor: one summary DM per
  person per week, however many accounts and promises it covers.
- The account channel gets a weekly "open promises" summary, and only while something is overdue:
  a channel that hears every week that all is well learns to stop reading.

Weeks are ISO weeks in the reader's time: the recipient's Slack timezone for a DM,
`VOC_TIMEZONE` for a channel. The summary goes out on the first tick of the week after the start
of the working day (Monday, or the next working day the bot runs), keyed
`escalation:<user>:<ISO week>` and `open-promises:<account>:<ISO week>` in the delivery ledger.

The escalation is a DM, and a person gets at most one DM a day: it is delivered by
`bot.reminders.bundle`, inside the person's reminder DM when they are owed one the same day, else
as a DM of its own under the same day's key. The channel summary's delivery is
`bot.delivery.post_once`, with the re-check of what there is to say inside the
claim's transaction (`still_owed`: nothing left rolls the claim back, so a later day of the same
week can still send); it looks for the tagged message before any retry, posts with the key in the
metadata, and marks it sent or failed.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.accounts.access import account_channel
from bot.accounts.queries import account_in_workspace
from bot.commitments.queries import open_commitments
from bot.core.clock import iso_week, working_day_start
from bot.delivery.jobs import Delivered, DueItem
from bot.delivery.post import FAILED, NOT_NOW, SKIPPED, Delivery, Message, Posted, post_once
from bot.directory import Directory, DirectoryUnavailable, TtlCache
from bot.reminders.people import (
    PeopleFor,
    directory_for,
    people_for_workspace,
    permalink,
    team_url,
)
from bot.reminders.queries import (
    accounts_with_overdue,
    late_commitments_with_answerers,
    open_commitments_with_accounts,
    sent_among,
)
from bot.reminders.rules import reminder_day
from bot.runtime import Runtime
from bot.views import reminders as views
from bot.views.reminders import EscalatedItem, PromiseLine
from storage.models import Account, Commitment

log = logging.getLogger(__name__)

ESCALATION_KIND = "escalation"
SUMMARY_KIND = "open_promises"
ESCALATION_EVENT = "voc_escalation"
SUMMARY_EVENT = "voc_open_promises"
STRATEGIC = "strategic"


@dataclass(frozen=True)
class DueEscalation:
    """One person's weekly summary of promises running late on the accounts they answer for."""

    workspace_id: str
    user_id: str
    names: tuple[str, ...]  # how accounts name this person (ID, email)
    tz_name: str
    day: date
    commitment_ids: tuple[int, ...]
    after_days: int = 7  # late by more than this many days (`overdue_escalation_days`)

    @property
    def key(self) -> str:
        return f"{ESCALATION_KIND}:{self.user_id}:{iso_week(self.day)}"

    @property
    def week(self) -> str:
        return iso_week(self.day)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.tz_name)


@dataclass(frozen=True)
class DueSummary:
    """An account channel's weekly "open promises" summary."""

    workspace_id: str
    account_id: int
    account_name: str
    channel: str
    day: date

    @property
    def key(self) -> str:
        return f"open-promises:{self.account_id}:{iso_week(self.day)}"


# --- planning ------------------------------------------------------------------------------------


def plan_escalations(
    runtime: Runtime, now: datetime, *, people_for: PeopleFor | None = None
) -> list[DueEscalation]:
    """Who is owed this week's escalation at `now`: read-only, one query, one lookup a person."""
    settings = runtime.settings
    after = settings.overdue_escalation_days
    # Late by more than `after` days on a reader's day, which is at most tomorrow in UTC.
    latest_due = now.astimezone(UTC).date() - timedelta(days=after)
    with runtime.sessions() as session:
        rows = late_commitments_with_answerers(session, latest_due)
    late_by_person: dict[tuple[str, str], list[tuple[int, date]]] = defaultdict(list)
    for row in rows:
        for who in _answerable(row.account_manager, row.exec_sponsor, row.tier):
            late_by_person[(row.workspace_id, who)].append((row.id, row.due_on))
    lookups = people_for or (lambda ws: people_for_workspace(runtime, ws))
    planned = _per_recipient(late_by_person, lookups, now, runtime.settings.workday_start_hour)
    due = []
    for (workspace_id, user_id), (names, tz_name, day, items) in planned.items():
        late = sorted({i for i, due_on in items if (day - due_on).days > after})
        if late:
            due.append(
                DueEscalation(
                    workspace_id, user_id, tuple(sorted(names)), tz_name, day, tuple(late), after
                )
            )
    return _unsent(runtime, due)


def _answerable(manager: str | None, sponsor: str | None, tier: str) -> list[str]:
    people = [manager] if manager else []
    if tier == STRATEGIC and sponsor and sponsor != manager:
        people.append(sponsor)
    return people


def _per_recipient(
    late_by_person: dict[tuple[str, str], list[tuple[int, date]]],
    people_for: PeopleFor,
    now: datetime,
    start_hour: int,
) -> dict[tuple[str, str], tuple[set[str], str, date, list[tuple[int, date]]]]:
    """Merge the names one person goes by; keep only people whose working day has started."""
    merged: dict[tuple[str, str], tuple[set[str], str, date, list[tuple[int, date]]]] = {}
    lookups: dict[str, Directory | None] = {}
    for (workspace_id, who), items in late_by_person.items():
        if workspace_id not in lookups:
            lookups[workspace_id] = people_for(workspace_id)
        people = lookups[workspace_id]
        if people is None:
            continue
        try:
            person = people.recipient(who)
        except DirectoryUnavailable as error:
            log.warning("escalation to %s waits for the next tick: %s", who, error)
            continue
        if person is None:
            continue
        day = reminder_day(now, person.tz, start_hour)
        if day is None:
            continue
        key = (workspace_id, person.user_id)
        names, _, _, merged_items = merged.setdefault(key, (set(), person.tz.key, day, []))
        names.add(who)
        merged_items.extend(items)
    return merged


def plan_summaries(runtime: Runtime, now: datetime) -> list[DueSummary]:
    """Account channels owed this week's summary: those with something overdue, in team time."""
    settings = runtime.settings
    day = reminder_day(now, settings.tz, settings.workday_start_hour)
    if day is None:
        return []
    with runtime.sessions() as session:
        rows = accounts_with_overdue(session, day)
    due = [DueSummary(row.workspace_id, row.id, row.name, row.channel, day) for row in rows]
    return _unsent(runtime, due)


class _Weekly(Protocol):
    @property
    def workspace_id(self) -> str: ...

    @property
    def key(self) -> str: ...


W = TypeVar("W", bound=_Weekly)


def _unsent(runtime: Runtime, due: list[W]) -> list[W]:
    """Leave out what the ledger already shows as sent this week (a few set queries)."""
    by_workspace: dict[str, list[W]] = defaultdict(list)
    for item in due:
        by_workspace[item.workspace_id].append(item)
    sent: set[tuple[str, str]] = set()
    with runtime.sessions() as session:
        for workspace_id, items in by_workspace.items():
            keys = sent_among(session, workspace_id, [item.key for item in items])
            sent.update((workspace_id, key) for key in keys)
    return [item for item in due if (item.workspace_id, item.key) not in sent]


# --- the scheduler's jobs ------------------------------------------------------------------------


def find_due_escalations(runtime: Runtime, now: datetime) -> list[DueItem]:
    return [
        DueItem(
            job=ESCALATION_KIND,
            key=due.key,
            workspace_id=due.workspace_id,
            description=_describe_escalation(due, runtime.settings.workday_start_hour),
            payload=due,
        )
        for due in plan_escalations(runtime, now)
    ]


def find_due_summaries(runtime: Runtime, now: datetime) -> list[DueItem]:
    return [
        DueItem(
            job=SUMMARY_KIND,
            key=due.key,
            workspace_id=due.workspace_id,
            description=(
                f"open promises summary for {due.account_name} in {due.channel} "
                f"({iso_week(due.day)})"
            ),
            payload=due,
        )
        for due in plan_summaries(runtime, now)
    ]


def _describe_escalation(due: DueEscalation, start_hour: int) -> str:
    local = working_day_start(due.day, due.tz, start_hour).astimezone(due.tz)
    names = ", ".join(name for name in due.names if name != due.user_id)
    also = f" ({names})" if names else ""
    ids = ", ".join(f"#{i}" for i in due.commitment_ids)
    return (
        f"escalation DM to {due.user_id}{also} at {local:%a %Y-%m-%d %H:%M} {due.tz_name} "
        f"({iso_week(due.day)}): {len(due.commitment_ids)} late: {ids}"
    )


def deliver(runtime: Runtime, client: WebClient, item: DueItem, now: datetime) -> Delivered:
    """The open-promises job. The escalation is a DM, so it travels as (or in) the person's one
    DM of the day: `bot.reminders.bundle.deliver_escalation`."""
    return deliver_summary(runtime, client, item.payload, now)


# --- delivering ----------------------------------------------------------------------------------


def still_late(session: Session, due: DueEscalation) -> bool:
    """Whether the escalation still has something to say, asked inside the DM's claim."""
    return bool(_still_late(session, due, due.after_days))


def escalated_items(runtime: Runtime, client: WebClient, due: DueEscalation) -> list[EscalatedItem]:
    """What the escalation says when it is sent: the planned promises still late, linked, their
    owners as Slack shows them."""
    with runtime.sessions() as session:
        late = _still_late(session, due, due.after_days)
    url = team_url(runtime, client, due.workspace_id)
    people = directory_for(runtime, client, due.workspace_id)
    return [
        EscalatedItem(
            account_name=account.name,
            tier=account.tier,
            text=row.text,
            owner=people.shown(row.owner) or row.owner,
            due_on=row.due_on,
            days_overdue=(due.day - row.due_on).days,
            link=permalink(url, row.channel, row.message_ts),
        )
        for row, account in late
        if row.due_on is not None
    ]


def _still_late(
    session: Session, due: DueEscalation, after: int
) -> list[tuple[Commitment, Account]]:
    """The planned promises still open, still late, and still on an account this person answers
    for (account managers change)."""
    names = set(due.names)
    found = [
        (row, account)
        for row, account in open_commitments_with_accounts(session, due.commitment_ids)
        if row.due_on is not None
        and (due.day - row.due_on).days > after
        and names.intersection(
            _answerable(account.account_manager, account.exec_sponsor, account.tier)
        )
    ]
    return sorted(found, key=lambda pair: (pair[1].name, pair[0].due_on, pair[0].id))


def deliver_summary(
    runtime: Runtime, client: WebClient, due: DueSummary, now: datetime
) -> Delivered:
    """The account channel's weekly list of open promises, only while one is overdue."""
    found: list[tuple[Account, list[Commitment]]] = []

    def still_overdue(session: Session) -> bool:
        account = account_in_workspace(session, due.workspace_id, due.account_id)
        if account is None or not account_channel(account):
            return False
        listed = open_commitments(session, account.workspace_id, account_id=account.id)
        rows = [item.commitment for item in listed]
        if not any(row.due_on is not None and row.due_on < due.day for row in rows):
            return False
        found[:] = [(account, rows)]
        return True

    def render() -> Message:
        [(account, rows)] = found
        url = team_url(runtime, client, due.workspace_id)
        people = directory_for(runtime, client, due.workspace_id)
        lines = [
            PromiseLine(
                text=row.text,
                owner=people.shown(row.owner) or row.owner,
                due_on=row.due_on,
                overdue=row.due_on is not None and row.due_on < due.day,
                link=permalink(url, row.channel, row.message_ts),
            )
            for row in rows
        ]
        text, blocks = views.open_promises_message(
            account.name, lines, runtime.settings.tz, week=iso_week(due.day)
        )
        return Message(text, blocks, unfurl=False)

    directory = Directory(client, due.workspace_id, TtlCache())
    posted = post_once(
        runtime.sessions,
        client,
        Delivery(due.workspace_id, due.key, SUMMARY_KIND, due.channel, SUMMARY_EVENT),
        render,
        now,
        still_owed=still_overdue,
        conversation=lambda: directory.channel_id(due.channel),
    )
    return _delivered(posted)


def _delivered(posted: Posted) -> Delivered:
    """The tick report's words for a weekly message's outcome."""
    if posted.outcome == SKIPPED:
        if posted.detail == NOT_NOW:
            return Delivered("skipped", "nothing to say any more")
        return Delivered("skipped", "already sent this week or being sent")
    if posted.outcome == FAILED:
        return Delivered("failed", posted.detail)
    return Delivered(posted.outcome)
