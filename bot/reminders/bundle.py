"""Claiming and delivering one owner's DM for the day, with every occurrence it bundles.

The DM row and one ledger row per occurrence are claimed in one transaction
(`bot.delivery.ledger.claim_in`), after re-checking that each commitment is still open,
unsnoozed and the owner's; they become sent, failed or forgotten together. A retry looks first
for the DM tagged with its key (`bot.delivery.tagged`), whose metadata also says which
commitments it carried: those are delivered, the rest are owed again.

It is the one way a DM reaches a person on a day. Follow-ups (`followups`) ride in it: theirs
due today or overdue, and those past the first-contact target on accounts they answer for; they
have no ledger rows of their own, being the day's state, re-checked inside the claim. The week's
escalation, when it is owed to someone the same day as their reminders, is claimed in the same
transaction (its own key, `escalation:<user>:<ISO week>`, held by the DM's key) and rides in the
same DM; owed alone, it is a bundle with no reminder items. What other rooms owe the person
that day (`parts`: the monthly executive digest, the word that no leadership review happened in
a year) is claimed the same way, rendered when the DM is sent, and withdrawn when its render has
nothing to say. Either way the day's key, `reminder:<user>:<local date>`, is taken, so a person
never gets a second DM that day.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot.core.clock import working_day_start
from bot.delivery import ledger
from bot.delivery.jobs import Delivered, DueItem
from bot.delivery.tagged import SEND_ERRORS, Found, describe_error, dm_channel, find_tagged, tag
from bot.reminders import escalations
from bot.reminders.escalations import ESCALATION_EVENT, ESCALATION_KIND, DueEscalation
from bot.reminders.followups import DueFollowups, followup_section, still_listed
from bot.reminders.parts import DayPart, PartContent
from bot.reminders.people import permalink, team_url
from bot.reminders.planning import OwnerReminder, PlannedItem
from bot.reminders.queries import (
    commitments_with_accounts,
    current_states,
    open_followup_owners,
    retime_followups,
)
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
from bot.views.common import MAX_MESSAGE_BLOCKS
from bot.views.reminders import EscalationSection, ReminderLine
from storage.db import transaction

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Bundle:
    """What this attempt claimed: the DM key and, per commitment, the occurrence keys it carries."""

    claim: ledger.Claim
    items: tuple[PlannedItem, ...]
    escalation: DueEscalation | None = None  # claimed with the DM, to ride in it
    followups: DueFollowups | None = None  # still open and still this person's at the claim
    parts: tuple[DayPart, ...] = ()  # other rooms' parts whose keys this DM won

    @property
    def item_keys(self) -> list[str]:
        return [key for item in self.items for key in item.keys]

    @property
    def keys(self) -> list[str]:
        """Every key besides the DM's that this DM delivers."""
        escalation = [self.escalation.key] if self.escalation is not None else []
        return [*self.item_keys, *escalation, *(part.key for part in self.parts)]

    @property
    def look_first(self) -> bool:
        """A process died mid-send, or an earlier attempt failed after Slack may have stored it."""
        return self.claim.uncertain or self.claim.attempt > 1


class NothingToSend(Exception):
    """Raised inside a claim transaction to roll it back whole."""


def deliver(runtime: Runtime, client: WebClient, item: DueItem, now: datetime) -> Delivered:
    """The scheduler's reminder job: the `OwnerReminder` that `day.find_day_dms` described."""
    return deliver_reminder(runtime, client, item.payload, now)


def deliver_escalation(
    runtime: Runtime, client: WebClient, item: DueItem, now: datetime
) -> Delivered:
    """The scheduler's escalation job: a person owed the week's escalation and no reminders.

    It goes as that person's DM of the day; if they already had one today (their reminders
    went before the escalation was owed), it waits for their next working day.
    """
    due: DueEscalation = item.payload
    send_at = working_day_start(due.day, due.tz, runtime.settings.workday_start_hour)
    plan = OwnerReminder(
        workspace_id=due.workspace_id,
        user_id=due.user_id,
        owners=(),
        tz_name=due.tz_name,
        day=due.day,
        send_at=send_at,
        items=(),
        escalation=due,
    )
    claimed = _claim(runtime.sessions, plan, now, ledger.WORKER_ID, ledger.DEFAULT_LEASE)
    if claimed == NOTHING_LEFT:
        return Delivered("skipped", "nothing to say any more")
    if not isinstance(claimed, Bundle):
        return Delivered("skipped", "already sent today or being sent; it waits a day")
    return _deliver_claimed(runtime, client, plan, claimed, now)


def claim_bundle(
    sessions: sessionmaker[Session],
    plan: OwnerReminder,
    now: datetime,
    *,
    worker: str | None = None,
    lease: timedelta = ledger.DEFAULT_LEASE,
) -> Bundle | None:
    """Claim the owner's DM for the day and each occurrence it carries, in one transaction.

    None when the DM is sent or in flight elsewhere, or nothing is left to say (rolled back).
    """
    claimed = _claim(sessions, plan, now, worker or ledger.WORKER_ID, lease)
    return claimed if isinstance(claimed, Bundle) else None


NOTHING_LEFT = "nothing left"
TAKEN = "taken"


def _claim(
    sessions: sessionmaker[Session],
    plan: OwnerReminder,
    now: datetime,
    worker: str,
    lease: timedelta,
) -> Bundle | str:
    """The claimed bundle, else why not: `TAKEN` (sent or in flight) or `NOTHING_LEFT`."""
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
                return TAKEN
            items = _claim_items(session, plan, _still_owed(session, plan, now), now, lease)
            escalation = _claim_escalation(session, plan, now, lease)
            followups = _still_due_followups(session, plan)
            parts = _claim_parts(session, plan, now, lease)
            if not items and escalation is None and followups is None and not parts:
                raise NothingToSend
            return Bundle(claim, items, escalation, followups, parts)
    except NothingToSend:
        return NOTHING_LEFT


def _claim_escalation(
    session: Session, plan: OwnerReminder, now: datetime, lease: timedelta
) -> DueEscalation | None:
    """The week's escalation, claimed for this DM when it still has something to say and no
    other DM delivered it or is delivering it."""
    due = plan.escalation
    if due is None or not escalations.still_late(session, due):
        return None
    won = ledger.claim_in(
        session,
        workspace_id=plan.workspace_id,
        keys=[due.key],
        kind=ESCALATION_KIND,
        recipient=plan.user_id,
        now=now,
        lease=lease,
        worker=plan.key,
        worker_is_exclusive=True,
    )
    return due if due.key in won else None


def _claim_parts(
    session: Session, plan: OwnerReminder, now: datetime, lease: timedelta
) -> tuple[DayPart, ...]:
    """The parts whose keys no other DM delivered or is delivering, held by this DM's key."""
    won: set[str] = set()
    for kind in sorted({part.kind for part in plan.parts}):
        won |= set(
            ledger.claim_in(
                session,
                workspace_id=plan.workspace_id,
                keys=[part.key for part in plan.parts if part.kind == kind],
                kind=kind,
                recipient=plan.user_id,
                now=now,
                lease=lease,
                worker=plan.key,
                worker_is_exclusive=True,
            )
        )
    return tuple(part for part in plan.parts if part.key in won)


def _still_due_followups(session: Session, plan: OwnerReminder) -> DueFollowups | None:
    """The planned follow-ups still open and still this person's to hear about; their due time
    as counted in the owner's zone is stored in the same transaction as the claim."""
    if plan.followups is None:
        return None
    current = open_followup_owners(session, plan.followups.ids)
    kept = still_listed(plan.followups, set(plan.owners), current)
    if kept is not None:
        retime_followups(session, dict(kept.retimed))
    return kept


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
    worker: str | None = None,
) -> Delivered:
    """Send one owner's DM for the day unless it went already; safe to call from anywhere."""
    bundle = claim_bundle(runtime.sessions, plan, now, worker=worker)
    if bundle is None:
        return Delivered("skipped", "already sent today, being sent, or nothing left to say")
    return _deliver_claimed(runtime, client, plan, bundle, now)


def _deliver_claimed(
    runtime: Runtime, client: WebClient, plan: OwnerReminder, bundle: Bundle, now: datetime
) -> Delivered:
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
            escalated = found.payload.get("escalation")
            also = {escalated, *(found.payload.get("parts") or [])} - {None}
            _record_found(runtime.sessions, plan, bundle, found, carried, also, now)
            listed = ", ".join(f"#{i}" for i in sorted(carried)) or "the escalation"
            return Delivered("found", f"an earlier attempt had sent it, carrying {listed}")
    url = team_url(runtime, client, plan.workspace_id)
    lines = reminder_lines(runtime.sessions, bundle.items, url)
    section = _escalation_section(runtime, client, bundle.escalation)
    followups = followup_section(runtime, client, plan.workspace_id, bundle.followups, now)
    said, silent = _rendered_parts(runtime, bundle.parts, now)
    if silent:
        _withdraw_parts(runtime.sessions, plan, silent, now)
    if not lines and section is None and followups is None and not said:
        if bundle.parts and not bundle.item_keys and bundle.escalation is None:
            _record_failed(runtime.sessions, plan, bundle, "nothing to say")  # the day stays free
            return Delivered("skipped", "nothing to say")
        return _failed(runtime, plan, bundle, "nothing left to say when sending")  # retried
    _, day_blocks = views.daily_message(
        lines, plan.tz, held_back=plan.held_back, escalation=section, followups=followups
    )
    said = _fitting(said, len(day_blocks))  # the rest stays owed, for a later DM
    text, blocks = views.daily_message(
        lines,
        plan.tz,
        held_back=plan.held_back,
        escalation=section,
        followups=followups,
        parts=[(content.text, content.blocks) for _, content in said],
    )
    escalated = bundle.escalation.key if bundle.escalation and section else None
    carried = [part.key for part, _ in said]
    try:
        reply = client.chat_postMessage(
            channel=plan.user_id,
            text=text,
            blocks=blocks,
            metadata=tag(
                EVENT_TYPE if lines or followups or not escalated else ESCALATION_EVENT,
                plan.key,
                items=[line.commitment_id for line in lines],
                escalation=escalated,
                followups=[item.id for item in followups.items] if followups else [],
                parts=carried,
            ),
            unfurl_links=False,
            unfurl_media=False,
        )
    except SEND_ERRORS as error:
        return _failed(runtime, plan, bundle, describe_error(error))
    keys = [*bundle.item_keys, *([escalated] if escalated else []), *carried]
    _record_sent(runtime.sessions, plan, bundle, keys, str(reply["channel"]), str(reply["ts"]), now)
    return Delivered("sent")


def _rendered_parts(
    runtime: Runtime, parts: tuple[DayPart, ...], now: datetime
) -> tuple[list[tuple[DayPart, PartContent]], list[DayPart]]:
    """(parts with something to say and what they say, parts with nothing to say), as the
    database reads at the moment of sending."""
    said: list[tuple[DayPart, PartContent]] = []
    silent: list[DayPart] = []
    for part in parts:
        content = part.render(runtime, now)
        if content is None:
            silent.append(part)
        else:
            said.append((part, content))
    return said, silent


def _fitting(
    said: list[tuple[DayPart, PartContent]], used: int
) -> list[tuple[DayPart, PartContent]]:
    """The parts that fit whole after `used` blocks (each after a divider), in order: a part
    is never cut, and one that does not fit is not marked as delivered."""
    room = MAX_MESSAGE_BLOCKS - used
    kept = []
    for part, content in said:
        needed = len(content.blocks) + (1 if used or kept else 0)
        if needed <= room:
            kept.append((part, content))
            room -= needed
    return kept


def _withdraw_parts(
    sessions: sessionmaker[Session], plan: OwnerReminder, parts: list[DayPart], now: datetime
) -> None:
    """A part with nothing to say is settled as cancelled: its planner stops owing it."""
    keys = [part.key for part in parts]
    with transaction(sessions) as session:
        ledger.mark_failed_in(session, workspace_id=plan.workspace_id, keys=keys, error="withdrawn")
    for key in keys:
        ledger.cancel(sessions, workspace_id=plan.workspace_id, key=key, now=now)


def _escalation_section(
    runtime: Runtime, client: WebClient, due: DueEscalation | None
) -> EscalationSection | None:
    """The escalation as it reads now; None when nothing of it is late any more."""
    if due is None:
        return None
    items = escalations.escalated_items(runtime, client, due)
    return EscalationSection(items, due.after_days, due.week) if items else None


def _earlier_attempt(client: WebClient, plan: OwnerReminder) -> Found | None:
    """The DM an earlier attempt may have posted under the day's key, as reminders or as the
    escalation alone; its tag lists what it carried."""
    channel = dm_channel(client, plan.user_id)
    if not channel:
        return None
    for event_type in (EVENT_TYPE, ESCALATION_EVENT):
        found = find_tagged(client, channel, event_type, plan.key)
        if found is not None:
            return found
    return None


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
    bundle: Bundle,
    keys: list[str],
    channel: str,
    ts: str,
    now: datetime,
) -> None:
    """The DM and everything it carried become sent together; what it was claimed for but did
    not carry (an escalation with nothing late any more) is given back."""
    with transaction(sessions) as session:
        ledger.mark_sent_in(
            session,
            workspace_id=plan.workspace_id,
            keys=[plan.key, *keys],
            now=now,
            channel=channel,
            message_ts=ts,
        )
        left = [key for key in bundle.keys if key not in keys]
        ledger.forget_in(session, workspace_id=plan.workspace_id, keys=left, worker=plan.key)


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
    also: set[str],
    now: datetime,
) -> None:
    """An earlier attempt's DM is there: what it carried is sent; the rest is owed again."""
    delivered = [key for key in bundle.item_keys if commitment_of_key(key) in carried]
    delivered += [key for key in bundle.keys if key in also]
    not_carried = [key for key in bundle.keys if key not in delivered]
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
