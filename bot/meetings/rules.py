"""Reading what people type about review meetings, and when a meeting's digest is due: pure.

A meeting owes one pre-meeting digest. Its due time is `digest_lead_days` working days before the
meeting's day, at `digest_hour`, both in `VOC_TIMEZONE`: Slack exposes no "team timezone", so the
configured timezone stands for the account team's. Working days are Monday to Friday; public
holidays are not known to the bot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from bot.core.clock import working_days_before
from bot.core.cycles import MONTH_NUMBERS
from bot.core.identity import person_ref
from bot.core.ids import parse_id
from bot.errors import BadInput
from bot.settings import Settings

DEFAULT_MEETING_TIME = time(10, 0)
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


MAX_YEARS_AHEAD = 10
PAST = "That moment is in the past. Pick a later date (and time) for the review."


class MeetingInputError(BadInput):
    """What a person typed cannot be a meeting; the message says what to type instead."""


@dataclass(frozen=True)
class MeetingText:
    """`ACCOUNT DATE [TIME]` split into its parts (the channel is Slack syntax, read elsewhere)."""

    account_query: str
    day: date
    at: time | None


# --------------------------------------------------------------------------------------------
# Who was there

MAX_ATTENDEES = 50


def attendee_refs(values: list[str]) -> tuple[str, ...]:
    """People as typed (`<@U…>` mentions, Slack IDs, emails) → the roster's spelling, each once.

    Anything else is refused whole, naming it: a half-recorded list would under-count a sponsor.
    """
    refs: list[str] = []
    for value in values:
        ref = person_ref(value)
        if ref is None:
            shown = value if len(value) <= 60 else value[:60] + "…"
            raise MeetingInputError(
                f'"{shown}" is not a person: give attendees as @mentions, Slack user IDs or emails.'
            )
        if ref not in refs:
            refs.append(ref)
    if len(refs) > MAX_ATTENDEES:
        raise MeetingInputError(f"At most {MAX_ATTENDEES} attendees per meeting.")
    return tuple(refs)


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
    day = _single_word_day(parts[0], today) if len(parts) == 1 else _day_and_month(parts, today)
    return _within_reach(day, today) if day is not None else None


def _within_reach(day: date, today: date) -> date:
    """A review from today to `MAX_YEARS_AHEAD` years on; checked on the day alone, so a day
    such as 9999-12-31 is refused before any timezone arithmetic could overflow."""
    if day < today:
        raise MeetingInputError(PAST)
    if day.year > today.year + MAX_YEARS_AHEAD:
        raise MeetingInputError(
            f"{day.isoformat()} is more than {MAX_YEARS_AHEAD} years ahead. "
            "Pick a nearer date for the review."
        )
    return day


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
        raise MeetingInputError(
            "Which account? For example `/voc meeting halvorsen 2026-12-03 14:00`."
        )
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


def digest_window_opens(starts_at: datetime, settings: Settings) -> datetime:
    """The start of the day the digest is due (team time), or its due time if that is earlier.

    A digest someone posts by hand from then on answers for the scheduled one: the team would
    read the same figures twice within hours otherwise.
    """
    tz = settings.tz
    meeting_day = starts_at.astimezone(tz).date()
    due_day = working_days_before(meeting_day, settings.digest_lead_days)
    opens = datetime.combine(due_day, time(0), tzinfo=tz).astimezone(UTC)
    return min(opens, digest_due_at(starts_at, settings))


def digest_horizon(now: datetime, settings: Settings) -> datetime:
    """The latest start a meeting can have and still owe its digest at `now`: a bound for the
    tick's query, generous (two calendar days per working day, plus a week of weekends)."""
    return now + timedelta(days=2 * settings.digest_lead_days + 7)


def digest_key(meeting_id: int, due_at: datetime) -> str:
    """The ledger key of a meeting's digest: a new due time is a new message owed."""
    return f"{DIGEST_KIND}:{meeting_id}:{due_at.astimezone(UTC).isoformat()}"


def require_future(starts_at: datetime, now: datetime) -> None:
    """A review is scheduled or moved only into the future."""
    if starts_at <= now:
        raise MeetingInputError(PAST)


def meeting_number(word: str) -> int | None:
    """`12` or `#12`, as people refer to a meeting the list showed them."""
    return parse_id(word)
