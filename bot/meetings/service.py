"""Review meeting use cases: scheduling, moving, cancelling, and listing what is coming up.

Moving a meeting changes its digest key (`digest:<id>:<due>`), so a moved meeting owes a fresh
digest and the old key is withdrawn from the ledger; cancelling withdraws it too. The ledger is
written after the meeting's own transaction has committed: SQLite allows one writer at a time, and
the scheduler re-reads the meeting after claiming, so the order is safe.

`schedule_meeting` works in the caller's session (the demo and tests build portfolios with it);
every other function owns its transaction, so Slack listeners and scripts call them alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo

from sqlalchemy.orm import Session, sessionmaker

from bot.accounts.access import Reader, account_channel, require_access
from bot.accounts.queries import accounts_of_person
from bot.accounts.service import named_account
from bot.core.clock import local_moment
from bot.delivery import ledger
from bot.errors import NotFound
from bot.meetings.queries import (
    CANCELLED,
    SCHEDULED,
    add_meeting,
    attendees_of,
    meeting_by_id,
    scheduled_meeting,
    set_attendees,
    upcoming_meetings,
)
from bot.meetings.rules import (
    DEFAULT_MEETING_TIME,
    MeetingText,
    digest_due_at,
    digest_key,
    require_future,
)
from bot.runtime import Runtime
from bot.settings import Settings
from storage import audit
from storage.db import transaction
from storage.models import Account, Meeting


class MeetingNotFound(NotFound):
    """No scheduled meeting with that number (never existed, cancelled, or another workspace)."""

    def __init__(self, meeting_id: int) -> None:
        super().__init__(f"No scheduled meeting #{meeting_id}. `/voc meetings` lists them.")
        self.meeting_id = meeting_id


@dataclass(frozen=True)
class Review:
    """A meeting with its account, as every reply about a meeting names both."""

    meeting: Meeting
    account: Account


# --------------------------------------------------------------------------------------------
# Use cases a person starts


def schedule_review(
    runtime: Runtime,
    workspace_id: str,
    text: MeetingText,
    tz: tzinfo,
    *,
    reader: Reader | None,
    channel: str | None,
    fallback_channel: str | None,
    now: datetime,
    actor: str | None = None,
    attendees: Sequence[str] = (),
) -> Review:
    """`/voc meeting ACCOUNT DATE [TIME] [#channel] [@people…]`: at 10:00 the reader's time by
    default, with the people expected there (`rules.attendee_refs`).

    The digest goes to the channel given, else the account's, else where the command was typed.
    `reader=None` is the operator at the terminal (`voc meeting`), who names the `actor`.
    """
    starts_at = local_moment(text.day, text.at or DEFAULT_MEETING_TIME, tz)
    with transaction(runtime.sessions) as session:
        account = named_account(session, runtime, workspace_id, text.account_query, reader)
        meeting = schedule_meeting(
            session,
            account,
            starts_at,
            channel=channel or account_channel(account) or fallback_channel,
            actor=actor or (reader.user_id if reader is not None else "cli"),
            now=now,
            settings=runtime.settings,
            attendees=attendees,
        )
    return Review(meeting, account)


def record_attendees(
    runtime: Runtime, review: Review, people: Sequence[str], *, actor: str, now: datetime
) -> tuple[str, ...]:
    """`/voc meeting attendees N @people…`: who was (or will be) at the review, replacing what
    was recorded; for a review already held, this is how it is recorded."""
    with transaction(runtime.sessions) as session:
        set_attendees(session, review.meeting.id, people)
        meeting = _scheduled(session, review.meeting.id)
        _audit(session, meeting, actor, now, "meeting_attendees", {"attendees": ", ".join(people)})
    return tuple(people)


def attendees(runtime: Runtime, meeting_id: int) -> list[str]:
    with runtime.sessions() as session:
        return attendees_of(session, meeting_id)


def review_for(
    runtime: Runtime,
    workspace_id: str,
    meeting_id: int,
    *,
    reader: Reader,
    named_by_reader: bool = True,
) -> Review:
    """The scheduled meeting with that number, if the reader may change its account."""
    with runtime.sessions() as session:
        found = scheduled_meeting(session, workspace_id, meeting_id)
    if found is None:
        raise MeetingNotFound(meeting_id)
    meeting, account = found
    require_access(runtime.settings, account, reader, named_by_reader=named_by_reader)
    return Review(meeting, account)


def move_review(
    runtime: Runtime,
    review: Review,
    day: date,
    at: time | None,
    tz: tzinfo,
    *,
    actor: str,
    now: datetime,
) -> Review:
    """Move to another day, keeping the meeting's wall-clock time unless a new one is given."""
    at = at or review.meeting.starts_at.astimezone(tz).time()
    moved = move_meeting(
        runtime.sessions,
        review.meeting.id,
        local_moment(day, at, tz),
        actor=actor,
        now=now,
        settings=runtime.settings,
    )
    return Review(moved, review.account)


def cancel_review(runtime: Runtime, review: Review, *, actor: str, now: datetime) -> Review:
    return Review(
        cancel_meeting(
            runtime.sessions, review.meeting.id, actor=actor, now=now, settings=runtime.settings
        ),
        review.account,
    )


def upcoming_for(
    runtime: Runtime,
    workspace_id: str,
    query: str | None,
    *,
    reader: Reader | None,
    now: datetime,
) -> list[tuple[Meeting, Account]]:
    """With an account: its meetings. Without: an admin's (or the terminal operator's, `reader`
    None) whole workspace, else "my accounts"."""
    with runtime.sessions() as session:
        account_ids: list[int] | None
        if query:
            account_ids = [named_account(session, runtime, workspace_id, query, reader).id]
        elif reader is None or runtime.settings.is_admin(reader.user_id):
            account_ids = None
        else:
            account_ids = accounts_of_person(session, workspace_id, reader.user_id, reader.email())
        return upcoming_meetings(session, workspace_id, now, account_ids=account_ids)


# --------------------------------------------------------------------------------------------
# The changes themselves


def schedule_meeting(
    session: Session,
    account: Account,
    starts_at: datetime,
    *,
    channel: str | None,
    actor: str,
    now: datetime,
    settings: Settings,
    attendees: Sequence[str] = (),
) -> Meeting:
    """Record the meeting, who is expected there, and when its digest is due; the caller
    commits."""
    require_future(starts_at, now)
    meeting = add_meeting(
        session,
        Meeting(
            workspace_id=account.workspace_id,
            account_id=account.id,
            starts_at=starts_at,
            channel=channel or account_channel(account),
            status=SCHEDULED,
            created_by=actor,
            digest_due_at=digest_due_at(starts_at, settings),
            created_at=now,
            updated_at=now,
        ),
    )
    set_attendees(session, meeting.id, attendees)
    details = {"starts_at": starts_at.isoformat()}
    if attendees:
        details["attendees"] = ", ".join(attendees)
    _audit(session, meeting, actor, now, "meeting_scheduled", details)
    return meeting


def move_meeting(
    sessions: sessionmaker[Session],
    meeting_id: int,
    starts_at: datetime,
    *,
    actor: str,
    now: datetime,
    settings: Settings,
) -> Meeting:
    """Move a scheduled meeting; a new due time withdraws the old digest and owes a fresh one."""
    require_future(starts_at, now)
    with transaction(sessions) as session:
        meeting = _scheduled(session, meeting_id)
        old_start, old_dues = meeting.starts_at, _digest_dues(meeting, settings)
        new_due = digest_due_at(starts_at, settings)
        old_due = digest_due_at(old_start, settings)
        meeting.starts_at = starts_at
        meeting.updated_at = now
        if new_due != old_due:
            meeting.digest_due_at = new_due
            meeting.digest_posted_at = None
            meeting.digest_ts = None
        details = {"from": old_start.isoformat(), "to": starts_at.isoformat()}
        _audit(session, meeting, actor, now, "meeting_moved", details)
    if old_due != new_due:
        workspace_id = meeting.workspace_id
        for due in old_dues - {new_due}:
            ledger.cancel(
                sessions, workspace_id=workspace_id, key=digest_key(meeting.id, due), now=now
            )
        ledger.reopen(sessions, workspace_id=workspace_id, key=digest_key(meeting.id, new_due))
    return meeting


def _digest_dues(meeting: Meeting, settings: Settings | None) -> set[datetime]:
    """The due times a meeting's digest may be claimed under: the one stored at scheduling and
    the one today's settings give (the tick uses the latter), so withdrawing misses neither."""
    dues = {meeting.digest_due_at} if meeting.digest_due_at is not None else set()
    if settings is not None:
        dues.add(digest_due_at(meeting.starts_at, settings))
    return dues


def cancel_meeting(
    sessions: sessionmaker[Session],
    meeting_id: int,
    *,
    actor: str,
    now: datetime,
    settings: Settings | None = None,
) -> Meeting:
    """Cancel a scheduled meeting and withdraw its digest if it has not gone out."""
    with transaction(sessions) as session:
        meeting = _scheduled(session, meeting_id)
        meeting.status = CANCELLED
        meeting.updated_at = now
        _audit(session, meeting, actor, now, "meeting_cancelled", {})
    for due in _digest_dues(meeting, settings):
        ledger.cancel(
            sessions,
            workspace_id=meeting.workspace_id,
            key=digest_key(meeting.id, due),
            now=now,
        )
    return meeting


def _scheduled(session: Session, meeting_id: int) -> Meeting:
    meeting = meeting_by_id(session, meeting_id)
    if meeting is None or meeting.status != SCHEDULED:
        raise MeetingNotFound(meeting_id)
    return meeting


def _audit(
    session: Session,
    meeting: Meeting,
    actor: str,
    now: datetime,
    action: str,
    details: dict[str, str],
) -> None:
    audit.record(
        session,
        workspace_id=meeting.workspace_id,
        at=now,
        actor=actor,
        action=action,
        entity="meeting",
        entity_id=meeting.id,
        details={"account_id": meeting.account_id, **details},
    )
