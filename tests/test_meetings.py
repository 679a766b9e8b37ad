"""Reading meeting dates as people type them, and when a meeting's digest is due."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time

import pytest

from bot.core.clock import working_days_before
from bot.meetings.rules import (
    MeetingInputError,
    digest_due_at,
    parse_day,
    parse_meeting_text,
    parse_time_of_day,
    parse_when,
)
from bot.settings import Settings
from tests.reviews import PARIS

TODAY = date(2026, 11, 24)  # a Tuesday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14:00", time(14, 0)),
        ("9:30", time(9, 30)),
        ("14h", time(14, 0)),
        ("14h30", time(14, 30)),
        ("9am", time(9, 0)),
        ("2pm", time(14, 0)),
        ("2:30pm", time(14, 30)),
        ("12am", time(0, 0)),
        ("12pm", time(12, 0)),
        ("3", None),  # the day in "3 Dec", not three o'clock
        ("25:00", None),
        ("13pm", None),
        ("acme", None),
    ],
)
def test_times_people_write(text: str, expected: time | None) -> None:
    assert parse_time_of_day(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-03", date(2026, 12, 3)),
        ("2026/12/03", date(2026, 12, 3)),
        ("3 Dec", date(2026, 12, 3)),
        ("Dec 3", date(2026, 12, 3)),
        ("3rd December", date(2026, 12, 3)),
        ("December 3, 2027", date(2027, 12, 3)),
        ("3 Jan", date(2027, 1, 3)),  # already past this year: the next one
        ("today", TODAY),
        ("tomorrow", date(2026, 11, 25)),
        ("thursday", date(2026, 11, 26)),
        ("tue", date(2026, 12, 1)),  # today is Tuesday: the next one
        ("next friday", date(2026, 11, 27)),
        ("acme", None),
        ("3", None),
    ],
)
def test_dates_people_write(text: str, expected: date | None) -> None:
    assert parse_day(text.split(), TODAY) == expected


@pytest.mark.parametrize("text", ["03/12/2026", "12/3", "2026-02-30", "30 Feb"])
def test_ambiguous_or_impossible_dates_are_refused_with_a_reason(text: str) -> None:
    with pytest.raises(MeetingInputError) as error:
        parse_day(text.split(), TODAY)
    assert "2026-12-03" in str(error.value) or "does not exist" in str(error.value)


@pytest.mark.parametrize(
    ("words", "account", "day", "at"),
    [
        ("acme 2026-12-03 14:00", "acme", date(2026, 12, 3), time(14)),
        ("ACME Corp 3 Dec 2 pm", "ACME Corp", date(2026, 12, 3), time(14)),
        ("ACME Corp Dec 3 2026", "ACME Corp", date(2026, 12, 3), None),
        ("Big Co 2027 thursday 9am", "Big Co 2027", date(2026, 11, 26), time(9)),
    ],
)
def test_account_date_and_time_are_read_from_the_end(
    words: str, account: str, day: date, at: time | None
) -> None:
    text = parse_meeting_text(words.split(), TODAY)
    assert (text.account_query, text.day, text.at) == (account, day, at)


def test_a_missing_date_or_account_is_explained() -> None:
    with pytest.raises(MeetingInputError, match='could not find a date in "acme someday"'):
        parse_meeting_text(["acme", "someday"], TODAY)
    with pytest.raises(MeetingInputError, match=r"Which account\?"):
        parse_meeting_text(["2026-12-03"], TODAY)
    with pytest.raises(MeetingInputError, match="could not read"):
        parse_when(["acme", "2026-12-03"], TODAY)
    assert parse_when(["3", "Dec", "10:30"], TODAY) == (date(2026, 12, 3), time(10, 30))


@pytest.mark.parametrize(
    ("day", "count", "expected"),
    [
        (date(2026, 12, 3), 2, date(2026, 12, 1)),  # Thursday → Tuesday
        (date(2026, 12, 7), 2, date(2026, 12, 3)),  # Monday → the Thursday before
        (date(2026, 12, 6), 2, date(2026, 12, 3)),  # Sunday → Thursday (Fri, Thu)
        (date(2026, 12, 3), 0, date(2026, 12, 3)),
        (date(2026, 12, 7), 5, date(2026, 11, 30)),
    ],
)
def test_working_days_skip_weekends(day: date, count: int, expected: date) -> None:
    assert working_days_before(day, count) == expected


def _settings(**overrides: object) -> Settings:
    return replace(Settings(timezone="Europe/Paris"), **overrides)  # type: ignore[arg-type]


def test_the_digest_is_due_at_the_digest_hour_in_the_team_timezone() -> None:
    thursday = datetime(2026, 12, 3, 14, 0, tzinfo=PARIS).astimezone(UTC)
    assert digest_due_at(thursday, _settings()) == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    later = _settings(digest_lead_days=1, digest_hour=16)
    assert digest_due_at(thursday, later) == datetime(2026, 12, 2, 15, 0, tzinfo=UTC)


def test_a_same_day_digest_comes_an_hour_before_an_early_meeting() -> None:
    early = datetime(2026, 12, 3, 8, 30, tzinfo=PARIS).astimezone(UTC)
    due = digest_due_at(early, _settings(digest_lead_days=0))
    assert due == datetime(2026, 12, 3, 6, 30, tzinfo=UTC)  # 07:30 Paris, not 09:00
