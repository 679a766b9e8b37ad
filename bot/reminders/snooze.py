"""The reminder DM's buttons, as use cases: snooze an item, and show the DM as it is now.

Done is the commitments' own (`bot.commitments.complete_from_button`); Snooze sets
`snoozed_until` to the start of the presser's working day one working day or one week later (a
conditional UPDATE, audited as `commitment.snoozed`). Both then re-render the DM's items from the
database, so it shows what is true now rather than what was true at nine this morning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.commitments.service import check_change
from bot.commitments.workspace import SlackWorkspace
from bot.reminders.people import permalink
from bot.reminders.queries import commitment_as_stored, commitments_with_accounts, snooze_if_open
from bot.reminders.rules import snooze_until
from bot.views import reminders as views
from bot.views.reminders import ReminderLine
from storage import audit
from storage.db import transaction


@dataclass(frozen=True)
class SnoozeOutcome:
    """`snoozed`, `unchanged` (already snoozed until then), `not_open`, `refused`, `missing`."""

    result: str
    until: datetime | None = None
    account_name: str | None = None
    ask: list[str] = field(default_factory=list)


def snooze_commitment(
    sessions: sessionmaker[Session],
    commitment_id: int,
    *,
    until: datetime,
    actor: str,
    now: datetime,
    via: str,
) -> bool:
    """Open and not already snoozed until then → snoozed, once (conditional UPDATE + audit)."""
    with transaction(sessions) as session:
        if not snooze_if_open(session, commitment_id, until):
            return False
        row = commitment_as_stored(session, commitment_id)
        audit.record(
            session,
            workspace_id=row.workspace_id,
            at=now,
            actor=actor,
            action="commitment.snoozed",
            entity="commitment",
            entity_id=row.id,
            details={"until": until.isoformat(), "via": via, "version": row.version},
        )
    return True


def snooze_from_reminder(
    sessions: sessionmaker[Session],
    slack: SlackWorkspace,
    commitment_id: int,
    *,
    user_id: str,
    span: str,
    tz: tzinfo,
    now: datetime,
) -> SnoozeOutcome:
    """Snooze 1 day / 1 week from the DM: who may mark it done may snooze it."""
    check = check_change(sessions, slack, commitment_id, user_id)
    if check.row is None or check.account is None:
        return SnoozeOutcome("missing")
    row, account = check.row, check.account
    if check.refused:
        return SnoozeOutcome("refused", account_name=account.name, ask=check.ask)
    if row.status != "open":
        return SnoozeOutcome("not_open", account_name=account.name)
    until = snooze_until(now, tz, span, slack.settings.workday_start_hour)
    changed = snooze_commitment(
        sessions, commitment_id, until=until, actor=user_id, now=now, via="reminder"
    )
    return SnoozeOutcome("snoozed" if changed else "unchanged", until, account.name)


def refreshed_reminder(
    sessions: sessionmaker[Session],
    blocks: list[dict[str, Any]],
    *,
    team_url: str | None,
    tz: tzinfo,
    now: datetime,
) -> list[dict[str, Any]]:
    """A posted reminder's blocks with every item shown as it is now (done, snoozed, open)."""
    refs = views.item_refs(blocks)
    rows = commitments_with_accounts(sessions, [ref.commitment_id for ref in refs])
    lines: dict[int, ReminderLine] = {}
    for ref in refs:
        found = rows.get(ref.commitment_id)
        if found is None:
            lines[ref.commitment_id] = ReminderLine(
                ref.commitment_id, "", "", None, ref.kinds, ref.cycle_start, status="missing"
            )
            continue
        row, account_name = found
        lines[ref.commitment_id] = ReminderLine(
            commitment_id=row.id,
            account_name=account_name,
            text=row.text,
            due_on=row.due_on,
            kinds=ref.kinds,
            cycle_start=ref.cycle_start,
            status=row.status,
            done_by=row.done_by,
            snoozed_until=_still_snoozed(row.snoozed_until, now),
            link=permalink(team_url, row.channel, row.message_ts),
        )
    return views.rerender_items(blocks, lines, tz)


def _still_snoozed(until: datetime | None, now: datetime) -> datetime | None:
    return until if until is not None and until > now else None
