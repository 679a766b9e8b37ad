"""Announcing what an import opened: one message per account channel, exactly once.

An import must not wait on Slack, and a crash right after it commits must not lose the message,
so the import only records the message as owed (`owe_announcements`, in its own transaction,
through `bot.delivery.ledger.owe_in`). Delivering is the scheduler's job (`find_due`,
`deliver`), which the CLI also runs straight after the import when a token is configured: both
go through `post_once`, whose claim decides who posts, so the message goes out once.

The key names the account, the cycle and the moment of the import, which every follow-up it
opened carries as `opened_at`: a re-import opens nothing, so it owes nothing, and a later import
that opens new people owes a message about them alone. An account whose import opened nothing
hears its headline only with `VOC_ANNOUNCE_HEADLINES=true`, once per cycle.

After a control is used, `refresh_announcement` redraws the message from the database, so
everyone in the channel sees who took whom and how each was settled.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pandas as pd
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, sessionmaker

from bot.accounts.queries import account_in_workspace
from bot.delivery import ledger
from bot.delivery.jobs import Delivered, DueItem, owed_items
from bot.delivery.post import Delivery, Message, post_once
from bot.delivery.tagged import error_code
from bot.directory import Directory, TtlCache
from bot.followups import queries
from bot.followups.announcement import Announced
from bot.followups.rules import FollowupPolicy
from bot.followups.values import AnsweredItem
from bot.reports.assemble import build_account_report
from bot.reports.queries import cycles_with_data
from bot.reports.rules import pick_cycles
from bot.runtime import Runtime
from bot.settings import Settings
from bot.views.followups import announcement_message
from storage.models import Account

log = logging.getLogger(__name__)

KIND = "followup_announce"
JOB_NAME = "followup_announce"
EVENT_TYPE = "voc_followups"
HEADLINE = "headline"
OWED_FOR = timedelta(days=3)  # older news is not announced; `/voc followups` still lists it


@dataclass(frozen=True)
class AnnouncementKey:
    """What one announcement is about, written into its ledger key and read back from it."""

    account_id: int
    cycle_id: int
    opened_at: datetime | None  # None: the headline alone

    def __str__(self) -> str:
        moment = HEADLINE if self.opened_at is None else _stamp(self.opened_at)
        return f"followups:{self.account_id}:{self.cycle_id}:{moment}"

    @classmethod
    def parse(cls, key: str) -> AnnouncementKey | None:
        parts = key.split(":")
        if len(parts) != 4 or parts[0] != "followups" or not all(p.isdigit() for p in parts[1:3]):
            return None
        if parts[3] == HEADLINE:
            return cls(int(parts[1]), int(parts[2]), None)
        try:
            moment = datetime.strptime(parts[3], "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC)
        except ValueError:
            return None
        return cls(int(parts[1]), int(parts[2]), moment)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")


# --- owing, in the import's transaction ----------------------------------------------------


class TouchedCycles:
    """The (account, cycle) pairs an import wrote, kept only when headlines are announced."""

    def __init__(self, policy: FollowupPolicy) -> None:
        self.wanted = policy.announce and policy.announce_headlines
        self._pairs: set[tuple[int, int]] = set()

    def watching(self, inner: Callable[[pd.DataFrame], None]) -> Callable[[pd.DataFrame], None]:
        """`inner`, and this collector after it when headlines are wanted (else `inner` alone)."""
        if not self.wanted:
            return inner

        def both(chunk: pd.DataFrame) -> None:
            inner(chunk)
            self.add(chunk)

        return both

    def add(self, chunk: pd.DataFrame) -> None:
        if self.wanted:
            pairs = chunk[["account_id", "cycle_id"]].drop_duplicates()
            self._pairs.update((int(a), int(c)) for a, c in pairs.itertuples(index=False))

    def pairs(self) -> set[tuple[int, int]]:
        return set(self._pairs)


def owe_announcements(
    session: Session,
    workspace_id: str,
    opened_at: datetime,
    policy: FollowupPolicy,
    touched: TouchedCycles | None = None,
) -> list[str]:
    """Record the channel messages this import owes; returns their keys.

    An account without a channel is owed nothing: there is nowhere to post, and its people
    are listed by `/voc followups` all the same.
    """
    if not policy.announce:
        return []
    keys = {
        account_id: AnnouncementKey(account_id, cycle_id, opened_at)
        for account_id, cycle_id in queries.opened_together(session, workspace_id, opened_at)
    }
    for account_id, cycle_id in sorted(touched.pairs() if touched else set()):
        if account_id in keys:
            continue
        if _is_current_cycle(session, workspace_id, account_id, cycle_id):
            keys[account_id] = AnnouncementKey(account_id, cycle_id, None)
    channels = queries.account_channels(session, list(keys))
    recipients = {
        str(key): channels[account_id]
        for account_id, key in sorted(keys.items())
        if channels.get(account_id)
    }
    recorded = ledger.owe_in(
        session, workspace_id=workspace_id, recipients=recipients, kind=KIND, now=opened_at
    )
    return [key for key in recipients if key in recorded]  # a cycle's headline goes once


def _is_current_cycle(session: Session, workspace_id: str, account_id: int, cycle_id: int) -> bool:
    """Whether the cycle is the one the account's report leads with: history has no news."""
    account = account_in_workspace(session, workspace_id, account_id)
    if account is None:
        return False
    current, _ = pick_cycles(cycles_with_data(session, account), None)
    return current is not None and current.id == cycle_id


# --- delivering: the scheduler's job, and the CLI right after an import ---------------------


def find_due(runtime: Runtime, now: datetime) -> list[DueItem]:
    """Announcements owed and not yet posted (read only, so a dry run can list them)."""
    return owed_items(
        runtime,
        now,
        kind=KIND,
        job=JOB_NAME,
        owed_for=OWED_FOR,
        describe=lambda key, to: f"follow-ups announcement {key} to {to}",
    )


def deliver(runtime: Runtime, client: WebClient, item: DueItem, now: datetime) -> Delivered:
    posted = announce(runtime, client, item.workspace_id, item.key, now)
    return Delivered(posted.outcome, posted.detail or None)


@dataclass(frozen=True)
class Outcome:
    """How one announcement went: `sent`, `found`, `failed` (Slack's code) or `skipped`."""

    key: str
    outcome: str
    detail: str = ""
    account: str | None = None
    channel: str | None = None


def announce(
    runtime: Runtime, client: WebClient, workspace_id: str, key: str, now: datetime
) -> Outcome:
    """Post one owed announcement, through the ledger's claim; rendered from what is stored now."""
    parsed = AnnouncementKey.parse(key)
    if parsed is None:
        return Outcome(key, "skipped", "not an announcement key")
    directory = Directory(client, workspace_id, TtlCache())
    with runtime.sessions() as session:
        announced = _announced(session, runtime.settings, workspace_id, parsed, now, directory)
    if announced is None or announced.channel is None:
        # Nowhere to post any more: withdrawn, so later ticks stop asking.
        ledger.cancel(runtime.sessions, workspace_id=workspace_id, key=key, now=now)
        return Outcome(key, "skipped", "the account or its channel is gone")
    channel = announced.channel

    def render() -> Message | None:
        text, blocks = announcement_message(announced, runtime.settings.tz, now)
        return Message(text, blocks, unfurl=False)

    delivery = Delivery(workspace_id, key, KIND, channel, EVENT_TYPE)
    posted = post_once(
        runtime.sessions,
        client,
        delivery,
        render,
        now,
        conversation=lambda: directory.channel_id(channel),
    )
    detail = "" if posted.delivered else (posted.code or posted.detail)
    return Outcome(key, posted.outcome, detail, announced.account, posted.channel or channel)


def owed_announcements(
    runtime: Runtime, client: WebClient, workspace_id: str, keys: list[str], now: datetime
) -> list[Outcome]:
    """What an import owes, posted now (the CLI after `voc import responses`)."""
    return [announce(runtime, client, workspace_id, key, now) for key in keys]


def _announced(
    session: Session,
    settings: Settings,
    workspace_id: str,
    key: AnnouncementKey,
    now: datetime,
    directory: Directory,
) -> Announced | None:
    """The message's content as the database has it now, people as Slack shows them."""
    account = account_in_workspace(session, workspace_id, key.account_id)
    if account is None:
        return None
    items = (
        []
        if key.opened_at is None
        else queries.answered_items(
            session, workspace_id, key.account_id, key.cycle_id, key.opened_at
        )
    )
    label = _cycle_label(session, account, key.cycle_id)
    report = build_account_report(session, account, cycle_label=label, now=now, tz=settings.tz)
    actors = queries.latest_actors(session, workspace_id, [a.item.id for a in items])
    return Announced(
        account_id=account.id,
        account=account.name,
        channel=account.channel_id or account.channel,
        report=report.with_people(directory.shown),
        people=[_shown(answered, directory) for answered in items],
        actors={k: directory.shown(v) or v for k, v in actors.items()},
    )


def _cycle_label(session: Session, account: Account, cycle_id: int) -> str | None:
    for cycle in cycles_with_data(session, account):
        if cycle.id == cycle_id:
            return cycle.label
    return None


def _shown(answered: AnsweredItem, directory: Directory) -> AnsweredItem:
    owner = directory.shown(answered.item.owner) or answered.item.owner
    return replace(answered, item=replace(answered.item, owner=owner))


# --- redrawing after a control -------------------------------------------------------------


def refresh_announcement(
    runtime: Runtime, client: WebClient, workspace_id: str, followup_id: int, now: datetime
) -> bool:
    """Redraw the announcement that lists this follow-up, if there is one; True when redrawn.

    Not keyed: a redraw only ever shows the current state, so two of them cannot disagree
    for long, and the last one reads the database last.
    """
    return redraw_announcement(
        runtime.sessions, runtime.settings, client, workspace_id, followup_id, now
    )


def redraw_announcement(
    sessions: sessionmaker[Session],
    settings: Settings,
    client: WebClient,
    workspace_id: str,
    followup_id: int,
    now: datetime,
) -> bool:
    """`refresh_announcement` for a caller holding sessions and settings rather than a
    runtime (completing a commitment closed the follow-up it answers)."""
    directory = Directory(client, workspace_id, TtlCache())
    with sessions() as session:
        found = queries.answered_item(session, workspace_id, followup_id)
        if found is None:
            return False
        key = AnnouncementKey(found.item.account_id, found.cycle_id, found.item.opened_at)
        where = queries.sent_message(session, workspace_id, str(key))
        if where is None:
            return False
        announced = _announced(session, settings, workspace_id, key, now, directory)
    if announced is None:
        return False
    text, blocks = announcement_message(announced, settings.tz, now)
    try:
        client.chat_update(channel=where[0], ts=where[1], text=text, blocks=blocks)
    except SlackApiError as error:
        log.warning("follow-ups announcement %s not redrawn: %s", key, error_code(error))
        return False
    return True
