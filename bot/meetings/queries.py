"""The review meetings the database holds: next, last, upcoming, one by its number, new ones.

The boundary is decided once, here: a meeting starting exactly now is still the *next* one
(`starts_at >= now`) and not yet the *last review* (`starts_at < now`); it becomes the last
review the moment after it starts. Reports, digests, the Home tab and `/voc meetings` all read
these, so "next meeting" and "last review" mean the same thing everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, delete, select
from sqlalchemy.orm import Session

from storage.models import Account, Meeting, MeetingAttendee

MAX_LISTED = 20
SCHEDULED = "scheduled"
CANCELLED = "cancelled"


def _next_of(*columns: Any) -> Select[Any]:
    """The account's next scheduled review as of `now` (both bound), reading `columns`."""
    return (
        select(*columns)
        .where(
            Meeting.account_id == bindparam("account_id"),
            Meeting.status == SCHEDULED,
            Meeting.starts_at >= bindparam("now"),
        )
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(1)
    )


def _previous_of(*columns: Any) -> Select[Any]:
    """The account's last review held before `before` (both bound), reading `columns`."""
    return (
        select(*columns)
        .where(
            Meeting.account_id == bindparam("account_id"),
            Meeting.status != CANCELLED,
            Meeting.starts_at < bindparam("before"),
        )
        .order_by(Meeting.starts_at.desc(), Meeting.id.desc())
        .limit(1)
    )


# Built once at import: every account report asks for both; each call binds its values.
_NEXT = _next_of(Meeting)
_NEXT_START = _next_of(Meeting.starts_at)
_PREVIOUS = _previous_of(Meeting)
_PREVIOUS_START = _previous_of(Meeting.starts_at)


def next_meeting(session: Session, account_id: int, now: datetime) -> Meeting | None:
    """The account's next scheduled review, the one a digest asked for now prepares."""
    return session.scalars(_NEXT, {"account_id": account_id, "now": now}).first()


def previous_meeting(
    session: Session, account_id: int, before: datetime, *, exclude: int | None = None
) -> Meeting | None:
    """The last review held (not cancelled) before a moment: what "last time" means."""
    query = _PREVIOUS if exclude is None else _PREVIOUS.where(Meeting.id != exclude)
    return session.scalars(query, {"account_id": account_id, "before": before}).first()


def last_review(session: Session, account_id: int, now: datetime) -> Meeting | None:
    """The account's last customer review as of now (see the module's boundary)."""
    return previous_meeting(session, account_id, now)


def next_meeting_start(session: Session, account_id: int, now: datetime) -> datetime | None:
    """When `next_meeting` starts, read without loading the meeting (the report's line)."""
    params = {"account_id": account_id, "now": now}
    return session.connection().execute(_NEXT_START, params).scalar()


def last_review_start(session: Session, account_id: int, now: datetime) -> datetime | None:
    """When `last_review` started, read without loading the meeting (the report's flags)."""
    params = {"account_id": account_id, "before": now}
    return session.connection().execute(_PREVIOUS_START, params).scalar()


def upcoming_meetings(
    session: Session,
    workspace_id: str,
    now: datetime,
    *,
    account_ids: list[int] | None = None,
    limit: int = MAX_LISTED,
) -> list[tuple[Meeting, Account]]:
    """Scheduled meetings still ahead, soonest first, with their accounts."""
    query = (
        select(Meeting, Account)
        .join(Account, Account.id == Meeting.account_id)
        .where(
            Meeting.workspace_id == workspace_id,
            Meeting.status == SCHEDULED,
            Meeting.starts_at >= now,
        )
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(limit)
    )
    if account_ids is not None:
        query = query.where(Meeting.account_id.in_(account_ids))
    return [(meeting, account) for meeting, account in session.execute(query).all()]


def scheduled_meeting(
    session: Session, workspace_id: str, meeting_id: int
) -> tuple[Meeting, Account] | None:
    """The scheduled meeting with that number in this workspace, and its account."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or meeting.workspace_id != workspace_id or meeting.status != SCHEDULED:
        return None
    account = session.get(Account, meeting.account_id)
    return (meeting, account) if account is not None else None


def meeting_by_id(session: Session, meeting_id: int) -> Meeting | None:
    """The meeting with that number whatever its state: callers decide what a state means."""
    return session.get(Meeting, meeting_id)


def add_meeting(session: Session, meeting: Meeting) -> Meeting:
    """Add a new meeting and flush, so it has the id its audit entry and digest key need."""
    session.add(meeting)
    session.flush()
    return meeting


def set_attendees(session: Session, meeting_id: int, people: Sequence[str]) -> None:
    """The meeting's attendees become `people` (already normalised, deduplicated)."""
    session.execute(delete(MeetingAttendee).where(MeetingAttendee.meeting_id == meeting_id))
    session.add_all(MeetingAttendee(meeting_id=meeting_id, person=who) for who in people)
    session.flush()


def attendees_of(session: Session, meeting_id: int) -> list[str]:
    return list(
        session.scalars(
            select(MeetingAttendee.person)
            .where(MeetingAttendee.meeting_id == meeting_id)
            .order_by(MeetingAttendee.id)
        )
    )
