"""The first-contact target is counted in working days in the owner's timezone, across a weekend
and the DST changes, with every value worked out by hand from a calendar.

The team's VOC_TIMEZONE is UTC; the account manager, who owns the follow-ups, works in Berlin.
The import cannot know that (it may run without Slack), so it counts in UTC; the tick that plans
her DM learns her zone and counts again, and that is what she reads and what is stored.

Europe/Berlin in 2026: CET (UTC+1) until Sunday 29 March 02:00, CEST (UTC+2) until Sunday
25 October 03:00, CET after. 27 March and 23 October 2026 are Fridays.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.cli import main as voc
from bot.core import clock
from bot.runtime import Runtime
from tests.portfolio import account_row, load, response_row
from tests.reminders_world import tick, world_settings
from tests.slack import FakeSlack

BERLIN_AM = "U0BERLIN1"


@pytest.fixture
def rt(make_runtime: Callable[..., Runtime], slack: FakeSlack) -> Runtime:
    slack.add_user(BERLIN_AM, tz="Europe/Berlin", name="Birte Berlin")
    return make_runtime(**world_settings(slack, timezone="UTC"))


def _opened_at(rt: Runtime, monkeypatch: pytest.MonkeyPatch, at: datetime) -> None:
    """Cy Dunn (satisfaction 4) answers on Berlin GmbH's first cycle, imported at `at`."""
    monkeypatch.setattr(clock, "utc_now", lambda: at)
    load(
        rt,
        [account_row("Berlin GmbH", account_manager=BERLIN_AM, channel=None)],
        [response_row("Berlin GmbH", "2026-Q1", "Cy Dunn", 4, 8, 8)],
    )


def _stored_due(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> str:
    """`voc followups --json`'s due_at, as someone at the terminal reads it."""
    monkeypatch.setenv("DATABASE_URL", rt.engine.url.render_as_string(hide_password=False))
    capsys.readouterr()
    assert voc(["followups", "--json"]) == 0
    [item] = json.loads(capsys.readouterr().out)
    return str(item["due_at"])


def _dms(slack: FakeSlack) -> list[dict[str, Any]]:
    return slack.messages_in(slack.dm_channel(BERLIN_AM))


def _token(utc: datetime, shown: str) -> str:
    return f"<!date^{int(utc.timestamp())}^{{date_short_pretty}} at {{time}}|{shown}>"


def _blocks_text(message: dict[str, Any]) -> str:
    return "\n".join(
        block["text"]["text"] for block in message["blocks"] if isinstance(block.get("text"), dict)
    )


def test_opened_friday_before_the_march_change_is_due_tuesday_16_00_in_berlin(
    rt: Runtime,
    slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Friday 16:00 CET. Counted in UTC: 9 h of Friday, Monday, 15 h of Tuesday → Tue 15:00 UTC.
    _opened_at(rt, monkeypatch, datetime(2026, 3, 27, 15, 0, tzinfo=UTC))
    assert _stored_due(rt, monkeypatch, capsys) == "2026-03-31T15:00:00+00:00"

    tick(rt, datetime(2026, 3, 30, 7, 0, tzinfo=UTC))  # Monday 09:00 CEST: due tomorrow
    assert _dms(slack) == []

    # In Berlin: 8 h of Friday (CET), the weekend (the clocks go forward), all of Monday and
    # 16 h of Tuesday (CEST) → Tuesday 16:00 CEST, which is 14:00 UTC.
    tick(rt, datetime(2026, 3, 31, 7, 0, tzinfo=UTC))  # Tuesday 09:00 CEST
    [dm] = _dms(slack)
    due = datetime(2026, 3, 31, 14, 0, tzinfo=UTC)
    assert _token(due, "2026-03-31 16:00 CEST") in _blocks_text(dm)
    assert _stored_due(rt, monkeypatch, capsys) == "2026-03-31T14:00:00+00:00"


def test_opened_friday_before_the_october_change_is_due_tuesday_16_00_in_berlin(
    rt: Runtime,
    slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Friday 16:00 CEST. Counted in UTC: 10 h of Friday, Monday, 14 h of Tuesday → 14:00 UTC.
    _opened_at(rt, monkeypatch, datetime(2026, 10, 23, 14, 0, tzinfo=UTC))
    assert _stored_due(rt, monkeypatch, capsys) == "2026-10-27T14:00:00+00:00"

    # In Berlin: 8 h of Friday (CEST), the weekend (the clocks go back), Monday and 16 h of
    # Tuesday (CET) → Tuesday 16:00 CET, which is 15:00 UTC.
    tick(rt, datetime(2026, 10, 27, 8, 0, tzinfo=UTC))  # Tuesday 09:00 CET
    [dm] = _dms(slack)
    due = datetime(2026, 10, 27, 15, 0, tzinfo=UTC)
    assert _token(due, "2026-10-27 16:00 CET") in _blocks_text(dm)
    assert _stored_due(rt, monkeypatch, capsys) == "2026-10-27T15:00:00+00:00"


def test_an_owner_slack_does_not_know_keeps_the_team_timezone(
    make_runtime: Callable[..., Runtime],
    slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    rt = make_runtime(**world_settings(slack, timezone="UTC"))
    monkeypatch.setattr(clock, "utc_now", lambda: datetime(2026, 3, 27, 15, 0, tzinfo=UTC))
    load(
        rt,
        [account_row("Berlin GmbH", account_manager="nobody@vendor.example", channel=None)],
        [response_row("Berlin GmbH", "2026-Q1", "Cy Dunn", 4, 8, 8)],
    )
    tick(rt, datetime(2026, 3, 31, 9, 0, tzinfo=UTC))
    assert _stored_due(rt, monkeypatch, capsys) == "2026-03-31T15:00:00+00:00"
