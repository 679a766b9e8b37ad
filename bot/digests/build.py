"""Reading a digest from the database, and which meetings owe theirs now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.accounts.access import account_channel
from bot.commitments.queries import (
    commitments_for_meeting,
    commitments_since,
    open_commitments,
    open_commitments_made_before,
)
from bot.digests.model import Digest, ReviewedCommitment
from bot.digests.queries import meetings_owing_digest
from bot.meetings.queries import previous_meeting
from bot.meetings.rules import digest_due_at, digest_horizon, digest_key
from bot.reports.assemble import build_account_report
from bot.settings import Settings
from storage.models import Account, Commitment, Meeting


@dataclass(frozen=True)
class DueDigest:
    """A digest the scheduler owes now, as a tick report names it."""

    meeting_id: int
    workspace_id: str
    due_at: datetime
    account: str
    channel: str | None
    starts_at: datetime

    @property
    def key(self) -> str:
        return digest_key(self.meeting_id, self.due_at)


def build_digest(
    session: Session, account: Account, meeting: Meeting | None, *, now: datetime
) -> Digest:
    """The digest for a meeting, or for the account's next review when asked on demand."""
    before = min(meeting.starts_at, now) if meeting is not None else now
    previous = previous_meeting(
        session, account.id, before, exclude=meeting.id if meeting is not None else None
    )
    since_last, older_open = _commitments_for_review(session, account, previous)
    return Digest(
        report=build_account_report(session, account, now=now),
        meeting_id=meeting.id if meeting is not None else None,
        starts_at=meeting.starts_at if meeting is not None else None,
        channel=(meeting.channel if meeting is not None else None) or account_channel(account),
        previous_meeting_at=previous.starts_at if previous is not None else None,
        since_last=since_last,
        older_open=older_open,
        now=now,
    )


def _commitments_for_review(
    session: Session, account: Account, previous: Meeting | None
) -> tuple[list[ReviewedCommitment], list[ReviewedCommitment]]:
    """(made at, or made or kept since, the last review; still open from before it).

    Without a previous review, every open commitment is "since last time". "Since" is the
    commitments logged against the last review together with those made or kept since it
    started; `_review_order` sorts, so the union's order does not matter.
    """
    if previous is None:
        rows = open_commitments(session, account.workspace_id, account_id=account.id)
        return _review_order([item.commitment for item in rows]), []
    since = previous.starts_at
    reviewed: dict[int, Commitment] = {
        row.id: row
        for row in commitments_for_meeting(session, previous.id)
        if row.account_id == account.id
    }
    reviewed.update((row.id, row) for row in commitments_since(session, account.id, since))
    older = open_commitments_made_before(session, account.id, since, other_than_meeting=previous.id)
    return _review_order(reviewed.values()), _review_order(older)


def _review_order(rows: Any) -> list[ReviewedCommitment]:
    """Open first by due date (the meeting must hear about those), then the rest as done."""
    items = [
        ReviewedCommitment(
            row.id, row.text, row.owner, row.due_on, row.status, row.done_at, row.area
        )
        for row in rows
    ]
    return sorted(items, key=lambda c: (not c.is_open, c.due is None, c.due or date.max, c.id))


def due_digests(session: Session, now: datetime, settings: Settings) -> list[DueDigest]:
    """Meetings whose digest is due by the current settings, not yet posted, and still ahead,
    earliest due first, as the tick names them."""
    owed = [
        DueDigest(
            meeting_id=meeting.id,
            workspace_id=meeting.workspace_id,
            due_at=digest_due_at(meeting.starts_at, settings),
            account=name,
            channel=meeting.channel or channel,
            starts_at=meeting.starts_at,
        )
        for meeting, name, channel in meetings_owing_digest(
            session, now, digest_horizon(now, settings)
        )
    ]
    return sorted(
        (due for due in owed if due.due_at <= now), key=lambda d: (d.due_at, d.meeting_id)
    )


def still_owed(meeting: Meeting | None, due: DueDigest, now: datetime) -> bool:
    """The meeting still wants this very digest now: not cancelled, moved, posted or started."""
    return (
        meeting is not None
        and meeting.status == "scheduled"
        and meeting.digest_posted_at is None
        and meeting.starts_at == due.starts_at
        and due.due_at <= now < meeting.starts_at
    )
