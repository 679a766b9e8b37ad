"""Champion changes announced once to the account team and the sponsor.

A decision maker who left or went silent, or whose title changed (`bot.champions`), is news the
account team and its executive sponsor should hear the day the cycle shows it. The import that
brings the cycle records one channel message per change as owed, in its own transaction
(`owe_champion_news`, through `bot.delivery.ledger.owe_in`, as `bot.followups.announce` does
for the people to get back to); the scheduler posts it in the account channel, mentioning the
sponsor, through `post_once`. The key, `champion:<account>:<cycle>:<person>` (the person as a
short digest of their name), makes it once per account, person and cycle: a re-import owes
nothing new, a later cycle that shows another change owes that one. The message is rendered
when it is sent, from the database then; a change no longer shown is withdrawn.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.accounts.queries import account_in_workspace
from bot.champions import ChampionChange
from bot.delivery import ledger
from bot.delivery.jobs import Delivered, DueItem, owed_items
from bot.delivery.post import Delivery, Message, post_once
from bot.directory import Directory, TtlCache
from bot.portfolio import queries
from bot.portfolio.service import latest_surveys
from bot.runtime import Runtime
from bot.views.portfolio import champion_news_message
from storage.models import Account

KIND = "champion_change"
JOB_NAME = "champion_change"
EVENT_TYPE = "voc_champion_change"
OWED_FOR = timedelta(days=3)  # as the import's other announcements: older news is not posted


@dataclass(frozen=True)
class ChampionKey:
    account_id: int
    cycle: str
    person: str  # digest of the respondent's name as the cycle spells it

    def __str__(self) -> str:
        return f"champion:{self.account_id}:{self.cycle}:{self.person}"

    @classmethod
    def parse(cls, key: str) -> ChampionKey | None:
        parts = key.split(":")
        if len(parts) != 4 or parts[0] != "champion" or not parts[1].isdigit():
            return None
        return cls(int(parts[1]), parts[2], parts[3])


def person_digest(respondent: str) -> str:
    """Names can be long and hold any character; the key holds twelve hex digits instead."""
    return hashlib.sha256(" ".join(respondent.split()).casefold().encode()).hexdigest()[:12]


# --- owing, in the import's transaction ----------------------------------------------------


def owe_champion_news(
    session: Session, workspace_id: str, account_ids: Iterable[int], now: datetime
) -> list[str]:
    """Record a channel message per champion change the touched accounts' latest cycles show;
    returns the keys recorded now. Accounts without a channel are owed nothing."""
    wanted = sorted(set(account_ids))
    if not wanted:
        return []
    names, channels = queries.named_channels(session, workspace_id, wanted)
    if not channels:
        return []
    found = latest_surveys(
        session, workspace_id, queries.among(workspace_id, sorted(channels)), names
    )
    recipients = {
        str(ChampionKey(account_id, survey.cycle, person_digest(change.respondent))): channels[
            account_id
        ]
        for account_id, survey in sorted(found.items())
        if survey.cycle is not None
        for change in survey.champion_changes
    }
    recorded = ledger.owe_in(
        session, workspace_id=workspace_id, recipients=recipients, kind=KIND, now=now
    )
    return [key for key in recipients if key in recorded]


# --- delivering: the scheduler's job ---------------------------------------------------------


def find_due(runtime: Runtime, now: datetime) -> list[DueItem]:
    """Champion changes owed and not yet posted (read only, so a dry run can list them)."""
    return owed_items(
        runtime,
        now,
        kind=KIND,
        job=JOB_NAME,
        owed_for=OWED_FOR,
        describe=lambda key, to: f"champion change {key} to {to}",
    )


def deliver(runtime: Runtime, client: WebClient, item: DueItem, now: datetime) -> Delivered:
    channel = str(item.payload)
    directory = Directory(client, item.workspace_id, TtlCache())

    def render() -> Message | None:
        found = _change_now(runtime, item.workspace_id, item.key)
        if found is None:
            return None  # the account is gone or the cycle no longer shows it: withdrawn
        account, cycle, change = found
        text, blocks = champion_news_message(
            account.name, cycle, change, account.exec_sponsor, account.account_manager
        )
        return Message(text, blocks, unfurl=False)

    delivery = Delivery(item.workspace_id, item.key, KIND, channel, EVENT_TYPE)
    posted = post_once(
        runtime.sessions,
        client,
        delivery,
        render,
        now,
        conversation=lambda: directory.channel_id(channel),
    )
    return Delivered(posted.outcome, (posted.code or posted.detail) or None)


def _change_now(
    runtime: Runtime, workspace_id: str, key: str
) -> tuple[Account, str, ChampionChange] | None:
    parsed = ChampionKey.parse(key)
    if parsed is None:
        return None
    with runtime.sessions() as session:
        account = account_in_workspace(session, workspace_id, parsed.account_id)
        if account is None:
            return None
        ids = queries.among(workspace_id, [account.id])
        survey = latest_surveys(session, workspace_id, ids, {account.id: account.name}).get(
            account.id
        )
        session.expunge(account)
    if survey is None or survey.cycle != parsed.cycle:
        return None
    for change in survey.champion_changes:
        if person_digest(change.respondent) == parsed.person:
            return account, parsed.cycle, change
    return None
