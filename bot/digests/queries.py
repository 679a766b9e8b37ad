"""Every read and write of the digests room: which meetings owe a digest, and marking one posted.

Commitments are read through `bot.commitments.queries`, meetings by number through
`bot.meetings.queries` and the delivery ledger through `bot.delivery.ledger`: each is the one
place its table is queried from.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.models import Account, Meeting


def meetings_owing_digest(session: Session, now: datetime) -> list[tuple[Meeting, str, str | None]]:
    """(meeting, account name, account channel) of every meeting whose digest is due, not yet
    posted, and still ahead, earliest due first: one indexed query for the scheduler's tick."""
    rows = session.execute(
        select(Meeting, Account.name, Account.channel)
        .join(Account, Account.id == Meeting.account_id)
        .where(
            Meeting.status == "scheduled",
            Meeting.digest_due_at <= now,
            Meeting.digest_posted_at.is_(None),
            Meeting.starts_at > now,
        )
        .order_by(Meeting.digest_due_at, Meeting.id)
    ).all()
    return [(meeting, name, channel) for meeting, name, channel in rows]


def account_of_meeting(session: Session, meeting: Meeting) -> Account | None:
    """The account a meeting reviews, read in the session that re-read the meeting."""
    return session.get(Account, meeting.account_id)


def mark_digest_posted(
    session: Session, meeting_id: int, due_at: datetime, *, at: datetime, ts: str | None
) -> None:
    """Record the digest as posted, only while the meeting still owes the one due at `due_at`
    and unposted: a move since then owes a new digest, and a second writer changes nothing."""
    session.execute(
        update(Meeting)
        .where(
            Meeting.id == meeting_id,
            Meeting.digest_due_at == due_at,
            Meeting.digest_posted_at.is_(None),
        )
        .values(digest_posted_at=at, digest_ts=ts)
    )
