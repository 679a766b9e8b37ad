"""No leadership review in a year: each admin is told once a week, in their one DM of the day,
until one is scheduled (VOC_LEADERSHIP_CHANNEL set); through the scheduler's tick and the fake
Slack.

The install's first accounts arrived on Monday 2 November 2026 at 09:00 UTC and no leadership
pack ever went out (1793610000 in Slack's date token). A year (365 days) later is Tuesday
2 November 2027 09:00 UTC. Ann (admin) is in Paris (CET in November: 09:00 there is 08:00 UTC)
and has a promise due on Tuesday 2 November 2027 (due today on Tuesday, overdue on Wednesday);
Omar (admin) is in New York (09:00 there is 14:00 UTC). ISO week 2027-W44 runs 1–7 November,
2027-W45 from 8 November.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.intake import writing
from tests.conftest import SlackBot
from tests.portfolio import ADMIN, account_row, load
from tests.reminders_world import promise, tick
from tests.slack.blockkit import assert_valid_blocks

OMAR = "U0ADMIN02"
ARRIVED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
NOTICE = "The leadership has not reviewed the customer results in over a year."


def _world(make_bot: Callable[..., SlackBot], monkeypatch: pytest.MonkeyPatch, **settings: Any):
    bot = make_bot(admins=frozenset({ADMIN, OMAR}), **settings)
    monkeypatch.setattr(writing, "utc_now", lambda: ARRIVED)
    load(bot.runtime, [account_row("ACME Corp", channel=None)])
    bot.slack.add_user(ADMIN, tz="Europe/Paris")
    bot.slack.add_user(OMAR, tz="America/New_York")
    promise(bot.runtime, "Send the roadmap", ADMIN, date(2027, 11, 2))
    return bot


def dms(bot: SlackBot, user: str) -> list[dict[str, Any]]:
    return bot.slack.messages_in(bot.slack.dm_channel(user))


def reads(message: dict[str, Any]) -> str:
    return "\n".join(b["text"]["text"] for b in message["blocks"] if "text" in b)


def notices(bot: SlackBot, user: str) -> list[dict[str, Any]]:
    return [message for message in dms(bot, user) if NOTICE in reads(message)]


def test_admins_are_told_once_a_week_in_their_days_dm(
    make_bot: Callable[..., SlackBot], monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = _world(make_bot, monkeypatch)
    tick(bot.runtime, datetime(2027, 11, 2, 8, 59, tzinfo=UTC))  # 364 days and 23 hours
    assert notices(bot, ADMIN) == [] and notices(bot, OMAR) == []
    (tuesday,) = dms(bot, ADMIN)  # the promise, due today: no notice yet
    assert NOTICE not in reads(tuesday)

    tick(bot.runtime, datetime(2027, 11, 3, 8, 0, tzinfo=UTC))  # 09:00 in Paris
    (_, ann) = dms(bot, ADMIN)  # one DM on Wednesday: the day's promise and the notice
    assert_valid_blocks(ann["blocks"])
    assert "Send the roadmap" in reads(ann) and NOTICE in reads(ann)
    assert "None has gone out since the first accounts arrived on <!date^1793610000^" in reads(ann)
    assert ann["text"].endswith("; No leadership review of the customer results in over a year")
    assert notices(bot, OMAR) == []  # 03:00 in New York

    tick(bot.runtime, datetime(2027, 11, 3, 14, 0, tzinfo=UTC))
    (omar,) = dms(bot, OMAR)  # nothing else for him: the notice is his DM of the day
    assert omar["text"] == "No leadership review of the customer results in over a year"

    for day in (4, 5):  # the rest of the week: already told
        tick(bot.runtime, datetime(2027, 11, day, 15, 0, tzinfo=UTC))
    assert len(notices(bot, ADMIN)) == 1 and len(notices(bot, OMAR)) == 1

    tick(bot.runtime, datetime(2027, 11, 8, 15, 0, tzinfo=UTC))  # week 2027-W45
    assert len(notices(bot, ADMIN)) == 2 and len(notices(bot, OMAR)) == 2


def test_nobody_is_told_once_a_review_is_scheduled(
    make_bot: Callable[..., SlackBot], monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = _world(make_bot, monkeypatch, leadership_channel="C0LEADERS")
    tick(bot.runtime, datetime(2027, 11, 3, 15, 0, tzinfo=UTC))
    assert notices(bot, ADMIN) == [] and notices(bot, OMAR) == []
    assert [reads(m) for m in dms(bot, ADMIN)] != []  # the promise's reminder still goes
