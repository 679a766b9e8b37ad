"""Every read and write of the digests room: which meetings owe a digest, and marking one posted.

Commitments are read through `bot.commitments.queries`, meetings by number through
`bot.meetings.queries` and the delivery ledger through `bot.delivery.ledger`: each is the one
place its table is queried from.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.accounts.queries import trusted_channel_column
from storage.models import Account, Meeting


def meetings_owing_digest(
    session: Session, now: datetime, latest_start: datetime
) -> list[tuple[Meeting, str, str | None]]:
    """(meeting, account name, account channel) of every scheduled meeting without its digest
    that starts after `now` and by `latest_start`, soonest first.

    Whether each digest is due yet is decided by the caller from the current settings, not from
    the due time stored at scheduling: a changed `VOC_DIGEST_HOUR` moves digests already owed.
    """
    rows = session.execute(
        select(Meeting, Account.name, trusted_channel_column())
        .join(Account, Account.id == Meeting.account_id)
        .where(
            Meeting.status == "scheduled",
            Meeting.digest_posted_at.is_(None),
            Meeting.starts_at > now,
            Meeting.starts_at <= latest_start,
        )
        .order_by(Meeting.starts_at, Meeting.id)
    ).all()
    return [(meeting, name, channel) for meeting, name, channel in rows]


def account_of_meeting(session: Session, meeting: Meeting) -> Account | None:
    """The account a meeting reviews, read in the session that re-read the meeting."""
    return session.get(Account, meeting.account_id)


def mark_digest_posted(
    session: Session,
    meeting_id: int,
    starts_at: datetime,
    due_at: datetime,
    *,
    at: datetime,
    ts: str | None,
) -> None:
    """Record the digest as posted, only while the meeting still starts at `starts_at` and is
    unposted: a move since then owes a new digest, and a second writer changes nothing. The due
    time it answered for is stored with it, as the settings of the moment computed it."""
    session.execute(
        update(Meeting)
        .where(
            Meeting.id == meeting_id,
            Meeting.starts_at == starts_at,
            Meeting.digest_posted_at.is_(None),
        )
        .values(digest_posted_at=at, digest_ts=ts, digest_due_at=due_at)
    )
