"""What the middleware puts in every request: a reader timezone asked for at most once."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.accounts.rules import is_named_on_team
from handlers.middleware import ReaderZone

NEW_YORK = ZoneInfo("America/New_York")


def test_the_reader_zone_is_looked_up_once_and_only_when_used() -> None:
    asked: list[int] = []

    def resolve() -> ZoneInfo:
        asked.append(1)
        return NEW_YORK

    tz = ReaderZone(resolve)
    assert asked == []
    # 2026-11-01 05:30 UTC is 01:30 EDT, the first of the two 01:30s of the DST change.
    first = datetime(2026, 11, 1, 5, 30, tzinfo=UTC).astimezone(tz)
    second = datetime(2026, 11, 1, 6, 30, tzinfo=UTC).astimezone(tz)
    assert (first.hour, first.minute, first.fold, first.tzname()) == (1, 30, 0, "EDT")
    assert (second.hour, second.minute, second.fold, second.tzname()) == (1, 30, 1, "EST")
    assert datetime(2026, 3, 4, 14, tzinfo=tz).astimezone(UTC).hour == 19
    assert str(tz) == "America/New_York"
    assert asked == [1]


def test_the_team_rule_reads_ids_and_emails_however_they_were_cased() -> None:
    entries = ["u0am00001", "Jane@Acme.example"]
    assert is_named_on_team(entries, "U0AM00001", None)
    assert is_named_on_team(entries, "U0OTHER01", "jane@acme.example")
    assert not is_named_on_team(entries, "U0OTHER01", None)
