"""Claiming and delivering one owner's DM for the day, with every occurrence it bundles.

The DM row and one ledger row per occurrence are claimed in one transaction
(`bot.delivery.ledger.claim_in`), after re-checking that each commitment is still open,
unsnoozed and the owner's; they become sent, failed or forgotten together. A retry looks first
for the DM tagged with its key (`bot.delivery.tagged`), whose metadata also says which
commitments it carried: those are delivered, the rest are owed again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot.delivery import ledger
from bot.delivery.jobs import Delivered, DueItem
from bot.delivery.tagged import SEND_ERRORS, Found, describe_error, dm_channel, find_tagged, tag
from bot.reminders.people import permalink, team_url
from bot.reminders.planning import OwnerReminder, PlannedItem
from bot.reminders.queries import commitments_with_accounts, current_states
from bot.reminders.rules import (
    DM_KIND,
    EVENT_TYPE,
    ITEM_KIND,
    SNOOZED,
    commitment_of_key,
    kind_of_key,
)
from bot.runtime import Runtime
from bot.views import reminders as views
from bot.views.reminders import ReminderLine
from storage.db import transaction

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Bundle:
    """What this attempt claimed: the DM key and, per commitment, the occurrence keys it carries."""

    claim: ledger.Claim
    items: tuple[PlannedItem, ...]

    @property
    def keys(self) -> list[str]:
        return [key for item in self.items for key in item.keys]

    @property
    def look_first(self) -> bool:
        """A process died mid-send, or an earlier attempt failed after Slack may have stored it."""
        return self.claim.uncertain or self.claim.attempt > 1


class NothingToSend(Exception):
    """Raised inside a claim transaction to roll it back whole."""


def deliver(runtime: Runtime, client: WebClient, item: DueItem, now: datetime) -> Delivered:
    """The scheduler's reminder job: the `OwnerReminder` that `planning.find_due` described."""
    return deliver_reminder(runtime, client, item.payload, now)


def claim_bundle(
    sessions: sessionmaker[Session],
    plan: OwnerReminder,
    now: datetime,
    *,
    worker: str = ledger.WORKER_ID,
    lease: timedelta = ledger.DEFAULT_LEASE,
) -> Bundle | None:
    """Claim the owner's DM for the day and each occurrence it carries, in one transaction.

    None when the DM is sent or in flight elsewhere, or nothing is left to say (rolled back).
    """
    try:
        with transaction(sessions) as session:
            claim = ledger.claim_in(
                session,
                workspace_id=plan.workspace_id,
                keys=[plan.key],
                kind=DM_KIND,
                recipient=plan.user_id,
                now=now,
                lease=lease,
                worker=worker,
            ).get(plan.key)
            if claim is None:
                return None
            items = _claim_items(session, plan, _still_owed(session, plan, now), now, lease)
            if not items:
                raise NothingToSend
            return Bundle(claim, items)
    except NothingToSend:
        return None


def _still_owed(session: Session, plan: OwnerReminder, now: datetime) -> list[PlannedItem]:
    """Re-check after the claim: still open, not snoozed since planning, still this owner's."""
    current = current_states(session, [item.commitment_id for item in plan.items])
    owners = set(plan.owners)
    return [
        item
        for item in plan.items
        if (row := current.get(item.commitment_id)) is not None
        and row.status == "open"
        and row.owner in owners
        and (row.snoozed_until is None or row.snoozed_until <= now)
    ]


def _claim_items(
    session: Session,
    plan: OwnerReminder,
    items: list[PlannedItem],
    now: datetime,
    lease: timedelta,
) -> tuple[PlannedItem, ...]:
    """Take each occurrence row for this DM unless it was sent or another DM is sending it.

    The rows are claimed by the DM's key, which this attempt holds alone: rows an earlier
    attempt of the same DM left behind are its own again.
    """
    ours = set(
        ledger.claim_in(
            session,
            workspace_id=plan.workspace_id,
            keys=[key for item in items for key in item.keys],
            kind=ITEM_KIND,
            recipient=plan.user_id,
            now=now,
            lease=lease,
            worker=plan.key,
            worker_is_exclusive=True,
        )
    )
    return tuple(_narrowed(item, ours) for item in items if ours.intersection(item.keys))


def _narrowed(item: PlannedItem, ours: set[str]) -> PlannedItem:
    """Only the occurrences this DM delivers, and the kinds they show."""
    keys = tuple(key for key in item.keys if key in ours)
    owed = {kind_of_key(key) for key in keys}
    kinds = item.kinds if SNOOZED in owed else tuple(k for k in item.kinds if k in owed)
    return PlannedItem(item.commitment_id, kinds or item.kinds, keys, item.due_on, item.cycle_start)


def deliver_reminder(
    runtime: Runtime,
    client: WebClient,
    plan: OwnerReminder,
    now: datetime,
    *,
    worker: str = ledger.WORKER_ID,
) -> Delivered:
    """Send one owner's DM for the day unless it went already; safe to call from anywhere."""
    bundle = claim_bundle(runtime.sessions, plan, now, worker=worker)
    if bundle is None:
        return Delivered("skipped", "already sent today, being sent, or nothing left to say")
    try:
        return _send_bundle(runtime, client, plan, bundle, now)
    except Exception as error:  # a bug must not leave the claim blocking retries for a lease
        _record_failed(runtime.sessions, plan, bundle, repr(error))
        raise


def _send_bundle(
    runtime: Runtime, client: WebClient, plan: OwnerReminder, bundle: Bundle, now: datetime
) -> Delivered:
    if bundle.look_first:
        try:
            found = _earlier_attempt(client, plan)
        except SEND_ERRORS as error:
            return _failed(
                runtime, plan, bundle, f"looking for an earlier attempt: {describe_error(error)}"
            )
        if found is not None:
            carried = {int(i) for i in found.payload.get("items") or []}
            _record_found(runtime.sessions, plan, bundle, found, carried, now)
            listed = ", ".join(f"#{i}" for i in sorted(carried))
            return Delivered("found", f"an earlier attempt had sent it, carrying {listed}")
    lines = reminder_lines(
        runtime.sessions, bundle.items, team_url(runtime, client, plan.workspace_id)
    )
    text, blocks = views.reminder_message(lines, plan.tz, held_back=plan.held_back)
    try:
        reply = client.chat_postMessage(
            channel=plan.user_id,
            text=text,
            blocks=blocks,
            metadata=tag(EVENT_TYPE, plan.key, items=[line.commitment_id for line in lines]),
            unfurl_links=False,
            unfurl_media=False,
        )
    except SEND_ERRORS as error:
        return _failed(runtime, plan, bundle, describe_error(error))
    _record_sent(runtime.sessions, plan, bundle.keys, str(reply["channel"]), str(reply["ts"]), now)
    return Delivered("sent")


def _earlier_attempt(client: WebClient, plan: OwnerReminder) -> Found | None:
    """The DM an earlier attempt may have posted; its tag lists the commitments it carried."""
    channel = dm_channel(client, plan.user_id)
    return find_tagged(client, channel, EVENT_TYPE, plan.key) if channel else None


def reminder_lines(
    sessions: sessionmaker[Session], items: Iterable[PlannedItem], team_url: str | None
) -> list[ReminderLine]:
    """The items as they are now, in the bundle's order (urgency)."""
    wanted = list(items)
    rows = commitments_with_accounts(sessions, [item.commitment_id for item in wanted])
    lines = []
    for item in wanted:
        found = rows.get(item.commitment_id)
        if found is None:
            continue
        row, account_name = found
        lines.append(
            ReminderLine(
                commitment_id=row.id,
                account_name=account_name,
                text=row.text,
                due_on=row.due_on,
                kinds=item.kinds,
                cycle_start=item.cycle_start,
                status=row.status,
                done_by=row.done_by,
                link=permalink(team_url, row.channel, row.message_ts),
            )
        )
    return lines


def _failed(runtime: Runtime, plan: OwnerReminder, bundle: Bundle, error: str) -> Delivered:
    _record_failed(runtime.sessions, plan, bundle, error)
    log.warning("reminder %s not sent, will retry: %s", plan.key, error)
    return Delivered("failed", error)


def _record_sent(
    sessions: sessionmaker[Session],
    plan: OwnerReminder,
    keys: list[str],
    channel: str,
    ts: str,
    now: datetime,
) -> None:
    """The DM and every occurrence it carried become sent together."""
    with transaction(sessions) as session:
        ledger.mark_sent_in(
            session,
            workspace_id=plan.workspace_id,
            keys=[plan.key, *keys],
            now=now,
            channel=channel,
            message_ts=ts,
        )


def _record_failed(
    sessions: sessionmaker[Session], plan: OwnerReminder, bundle: Bundle, error: str
) -> None:
    with transaction(sessions) as session:
        ledger.mark_failed_in(
            session, workspace_id=plan.workspace_id, keys=[plan.key, *bundle.keys], error=error
        )


def _record_found(
    sessions: sessionmaker[Session],
    plan: OwnerReminder,
    bundle: Bundle,
    found: Found,
    carried: set[int],
    now: datetime,
) -> None:
    """An earlier attempt's DM is there: what it carried is sent; the rest is owed again."""
    delivered = [key for key in bundle.keys if commitment_of_key(key) in carried]
    not_carried = [key for key in bundle.keys if commitment_of_key(key) not in carried]
    with transaction(sessions) as session:
        ledger.mark_sent_in(
            session,
            workspace_id=plan.workspace_id,
            keys=[plan.key, *delivered],
            now=now,
            channel=found.channel,
            message_ts=found.ts,
        )
        ledger.forget_in(session, workspace_id=plan.workspace_id, keys=not_carried, worker=plan.key)
