"""Customer review meetings: reading what people type, scheduling, moving, cancelling.

A meeting owes one pre-meeting digest. Its due time is `digest_lead_days` working days before the
meeting's day, at `digest_hour`, both in `VOC_TIMEZONE`: Slack exposes no "team timezone", so the
configured timezone stands for the account team's. Working days are Monday to Friday; public
holidays are not known to the bot.

Moving a meeting changes its digest key (`digest:<id>:<due>`), so a moved meeting owes a fresh
digest and the old key is withdrawn from the ledger; cancelling withdraws it too. The ledger is
written after the meeting's own transaction has committed: SQLite allows one writer at a time, and
the scheduler re-reads the meeting after claiming, so the order is safe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session, sessionmaker

from bot.core.clock import working_days_before
from bot.core.cycles import MONTH_NUMBERS
from bot.delivery import ledger
from bot.settings import Settings
from storage import audit
from storage.db import transaction
from storage.models import Account, Meeting

DEFAULT_MEETING_TIME = time(10, 0)
MAX_LISTED = 20
DIGEST_KIND = "digest"

_WEEKDAYS = {
    name: number
    for number, names in enumerate(
        [
            ("mon", "monday"),
            ("tue", "tues", "tuesday"),
            ("wed", "wednesday"),
            ("thu", "thur", "thurs", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        ]
    )
    for name in names
}
_ISO_DATE = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$")
_AMBIGUOUS_DATE = re.compile(r"^\d{1,2}[-/.]\d{1,2}([-/.]\d{2,4})?$")
_DAY_NUMBER = re.compile(r"^(\d{1,2})(st|nd|rd|th)?$")
_TIME = re.compile(r"^(\d{1,2})(?:(?::|\.|h)(\d{2})?)?\s*(am|pm)?$")

DATE_HELP = "Write the date as 2026-12-03 (or 3 Dec, tomorrow, thursday)."


class MeetingInputError(ValueError):
    """What a person typed cannot be a meeting; the message says what to type instead."""


@dataclass(frozen=True)
class MeetingText:
    """`ACCOUNT DATE [TIME]` split into its parts (the channel is Slack syntax, read elsewhere)."""

    account_query: str
    day: date
    at: time | None


# --------------------------------------------------------------------------------------------
# Reading dates and times


def parse_time_of_day(text: str) -> time | None:
    """`14:00`, `14h30`, `9am`, `2:30pm` → a time; None when the word is not a time at all.

    A bare number is not a time (`3` is more likely the day in `3 Dec`).
    """
    match = _TIME.match(text.strip().lower())
    if not match:
        return None
    hour_text, minute_text, meridiem = match.groups()
    if minute_text is None and meridiem is None and not text.lower().rstrip().endswith("h"):
        return None
    hour, minute = int(hour_text), int(minute_text or 0)
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def parse_day(words: list[str], today: date) -> date | None:
    """The calendar day in 1–3 words, or None when they are not a date.

    A date without a year is the next such date from today. Numeric day/month forms
    (`03/12`) are refused: half the world reads them the other way round.
    """
    text = " ".join(words).strip().lower().replace(",", " ")
    parts = text.split()
    if not parts:
        return None
    if len(parts) == 1:
        return _single_word_day(parts[0], today)
    return _day_and_month(parts, today)


def _single_word_day(word: str, today: date) -> date | None:
    if word == "today":
        return today
    if word == "tomorrow":
        return today + timedelta(days=1)
    if word in _WEEKDAYS:
        ahead = (_WEEKDAYS[word] - today.weekday() - 1) % 7 + 1
        return today + timedelta(days=ahead)
    match = _ISO_DATE.match(word)
    if match:
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            raise MeetingInputError(f'"{word}" is not a calendar date. {DATE_HELP}') from None
    if _AMBIGUOUS_DATE.match(word):
        raise MeetingInputError(
            f'"{word}" could be read as day/month or month/day. Write it as YYYY-MM-DD, '
            "e.g. 2026-12-03."
        )
    return None


def _day_and_month(parts: list[str], today: date) -> date | None:
    """`3 dec`, `dec 3`, `3rd december 2026`, `next thursday`."""
    if parts[0] == "next" and len(parts) == 2 and parts[1] in _WEEKDAYS:
        return _single_word_day(parts[1], today)
    year: int | None = None
    if len(parts) == 3:
        if not re.fullmatch(r"\d{4}", parts[2]):
            return None
        year = int(parts[2])
        parts = parts[:2]
    if len(parts) != 2:
        return None
    first, second = parts
    if first in MONTH_NUMBERS and _DAY_NUMBER.match(second):
        month, day_number = MONTH_NUMBERS[first], int(_DAY_NUMBER.match(second)[1])  # type: ignore[index]
    elif second in MONTH_NUMBERS and _DAY_NUMBER.match(first):
        month, day_number = MONTH_NUMBERS[second], int(_DAY_NUMBER.match(first)[1])  # type: ignore[index]
    else:
        return None
    return _dated(year, month, day_number, today)


def _dated(year: int | None, month: int, day_number: int, today: date) -> date:
    try:
        if year is not None:
            return date(year, month, day_number)
        candidate = date(today.year, month, day_number)
        if candidate < today:
            candidate = date(today.year + 1, month, day_number)
        return candidate
    except ValueError:
        raise MeetingInputError(f"That day does not exist. {DATE_HELP}") from None


def parse_meeting_text(words: list[str], today: date) -> MeetingText:
    """`ACME Corp 3 Dec 14:00` → account words, day and time, read from the end.

    Account names have spaces and people do not quote them, so the date is found as the last
    one to three words that read as a date, after an optional time.
    """
    words, at = _split_time(words)
    for size in (3, 2, 1):
        if len(words) > size and (day := parse_day(words[-size:], today)) is not None:
            return MeetingText(" ".join(words[:-size]), day, at)
    if words and parse_day(words, today) is not None:
        raise MeetingInputError("Which account? For example `/voc meeting acme 2026-12-03 14:00`.")
    raise MeetingInputError(f'I could not find a date in "{" ".join(words[-3:])}". {DATE_HELP}')


def parse_when(words: list[str], today: date) -> tuple[date, time | None]:
    """`DATE [TIME]` and nothing else, as `/voc meeting move ID DATE [TIME]` takes it."""
    words, at = _split_time(words)
    day = parse_day(words, today) if 1 <= len(words) <= 3 else None
    if day is None:
        raise MeetingInputError(f'I could not read "{" ".join(words)}" as a date. {DATE_HELP}')
    return day, at


def _split_time(words: list[str]) -> tuple[list[str], time | None]:
    """The trailing time, if any: `14:00`, or `2 pm` written as two words."""
    words = list(words)
    if words and (at := parse_time_of_day(words[-1])) is not None:
        return words[:-1], at
    if len(words) >= 2 and words[-1].lower() in ("am", "pm"):
        at = parse_time_of_day(words[-2] + words[-1])
        if at is not None:
            return words[:-2], at
    return words, None


# --------------------------------------------------------------------------------------------
# The digest's due time


def digest_due_at(starts_at: datetime, settings: Settings) -> datetime:
    """When the digest goes out: N working days before, at the digest hour, team time.

    Never later than an hour before the meeting, so a zero lead time with an early meeting still
    gives people something to read before they walk in.
    """
    tz = settings.tz
    meeting_day = starts_at.astimezone(tz).date()
    due_day = working_days_before(meeting_day, settings.digest_lead_days)
    due = datetime.combine(due_day, time(settings.digest_hour), tzinfo=tz).astimezone(UTC)
    return min(due, starts_at - timedelta(hours=1))


def digest_key(meeting_id: int, due_at: datetime) -> str:
    """The ledger key of a meeting's digest: a new due time is a new message owed."""
    return f"{DIGEST_KIND}:{meeting_id}:{due_at.astimezone(UTC).isoformat()}"


# --------------------------------------------------------------------------------------------
# Use cases


def schedule_meeting(
    session: Session,
    account: Account,
    starts_at: datetime,
    *,
    channel: str | None,
    actor: str,
    now: datetime,
    settings: Settings,
) -> Meeting:
    """Record the meeting and when its digest is due; the caller commits."""
    _require_future(starts_at, now)
    meeting = Meeting(
        workspace_id=account.workspace_id,
        account_id=account.id,
        starts_at=starts_at,
        channel=channel or account.channel,
        status="scheduled",
        created_by=actor,
        digest_due_at=digest_due_at(starts_at, settings),
        created_at=now,
        updated_at=now,
    )
    session.add(meeting)
    session.flush()
    _audit(session, meeting, actor, now, "meeting_scheduled", {"starts_at": starts_at.isoformat()})
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
    _require_future(starts_at, now)
    with transaction(sessions) as session:
        meeting = _scheduled(session, meeting_id)
        old_start, old_due = meeting.starts_at, meeting.digest_due_at
        new_due = digest_due_at(starts_at, settings)
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
        if old_due is not None:
            ledger.cancel(
                sessions, workspace_id=workspace_id, key=digest_key(meeting.id, old_due), now=now
            )
        ledger.reopen(sessions, workspace_id=workspace_id, key=digest_key(meeting.id, new_due))
    return meeting


def cancel_meeting(
    sessions: sessionmaker[Session], meeting_id: int, *, actor: str, now: datetime
) -> Meeting:
    """Cancel a scheduled meeting and withdraw its digest if it has not gone out."""
    with transaction(sessions) as session:
        meeting = _scheduled(session, meeting_id)
        meeting.status = "cancelled"
        meeting.updated_at = now
        _audit(session, meeting, actor, now, "meeting_cancelled", {})
    if meeting.digest_due_at is not None:
        ledger.cancel(
            sessions,
            workspace_id=meeting.workspace_id,
            key=digest_key(meeting.id, meeting.digest_due_at),
            now=now,
        )
    return meeting


class MeetingNotFound(LookupError):
    """No scheduled meeting with that number (never existed, cancelled, or another workspace)."""


def _scheduled(session: Session, meeting_id: int) -> Meeting:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or meeting.status != "scheduled":
        raise MeetingNotFound(meeting_id)
    return meeting


def _require_future(starts_at: datetime, now: datetime) -> None:
    if starts_at <= now:
        raise MeetingInputError(
            "That moment is in the past. Pick a later date (and time) for the review."
        )


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
            Meeting.status == "scheduled",
            Meeting.starts_at > now,
        )
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(limit)
    )
    if account_ids is not None:
        query = query.where(Meeting.account_id.in_(account_ids))
    return [(meeting, account) for meeting, account in session.execute(query).all()]


def accounts_of_person(
    session: Session, workspace_id: str, user_id: str, email: str | None
) -> list[int]:
    """Accounts whose named team includes the person (Slack ID or email), without Slack calls.

    Reads four short columns of the workspace's accounts, not whole rows.
    """
    names = {user_id.casefold()} | ({email.casefold()} if email else set())
    rows = session.execute(
        select(Account.id, Account.account_manager, Account.exec_sponsor, Account.team).where(
            Account.workspace_id == workspace_id
        )
    ).all()
    return [row.id for row in rows if names & _team_names(row)]


def _team_names(row: Row[Any]) -> set[str]:
    entries = (row.account_manager, row.exec_sponsor, *(row.team or []))
    return {entry.casefold() for entry in entries if entry}


def previous_meeting(
    session: Session, account_id: int, before: datetime, *, exclude: int | None = None
) -> Meeting | None:
    """The last review held (not cancelled) before a moment: what "last time" means."""
    query = (
        select(Meeting)
        .where(
            Meeting.account_id == account_id,
            Meeting.status != "cancelled",
            Meeting.starts_at < before,
        )
        .order_by(Meeting.starts_at.desc(), Meeting.id.desc())
        .limit(1)
    )
    if exclude is not None:
        query = query.where(Meeting.id != exclude)
    return session.scalars(query).first()


def next_meeting(session: Session, account_id: int, now: datetime) -> Meeting | None:
    """The account's next scheduled review, the one a digest asked for now prepares."""
    return session.scalars(
        select(Meeting)
        .where(
            Meeting.account_id == account_id,
            Meeting.status == "scheduled",
            Meeting.starts_at > now,
        )
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(1)
    ).first()


def set_exec_sponsor(
    session: Session, account: Account, sponsor: str, *, actor: str, now: datetime
) -> str | None:
    """Name the executive sponsor; returns the previous one. Audited: sponsors open doors."""
    previous = account.exec_sponsor
    account.exec_sponsor = sponsor
    account.updated_at = now
    audit.record(
        session,
        workspace_id=account.workspace_id,
        at=now,
        actor=actor,
        action="sponsor_set",
        entity="account",
        entity_id=account.id,
        details={"from": previous, "to": sponsor},
    )
    return previous
