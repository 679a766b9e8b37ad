"""The sponsor's monthly digest: one DM on the month's first working day at the digest hour in
their timezone, sent once, and nothing in a month with nothing changed and nothing overdue.

The world is tests/executive_world.py (cycles arrived 5 October 2026). Seb (SPONSOR) is in New
York: 2 November 2026 is a Monday, 09:00 there is 14:00 UTC. The Echo sponsor is in Tokyo:
09:00 on 2 November is 00:00 UTC. 1 December is a Tuesday: 09:00 New York is 14:00 UTC.

Worked out by hand for Seb in November (since 1 October 09:00 New York):
- changed: Foxtrot (first cycle, satisfaction 5: newly at risk), Delta (was not at risk in
  2026-Q2: users only, mean 8; now NPS fell significantly). Alpha, Bravo and Charlie were already
  at risk on the same answers in 2026-Q2: not news.
- overdue: Foxtrot 0/1, Charlie 0/1, Alpha 1/1, Bravo 0/1, Delta 0/3 (commitments/follow-ups).
- next reviews: Bravo, 20 November.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.cli import main as voc
from tests.conftest import SlackBot
from tests.executive_world import EMAIL_SPONSOR, EMAIL_SPONSOR_ID, at, build, ok
from tests.portfolio import AM, SPONSOR
from tests.reminders_world import tagged, tick

EVENT = "voc_reminder"  # the DM of the day, which carries the digest


@pytest.fixture
def world(
    make_bot: Callable[..., SlackBot],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> tuple[SlackBot, Callable[..., tuple[int, str, str]]]:
    bot = make_bot()
    monkeypatch.setenv("DATABASE_URL", bot.runtime.engine.url.render_as_string(hide_password=False))

    def cli(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        status = voc(list(argv))
        out, err = capsys.readouterr()
        return status, out, err

    build(bot.runtime, cli, monkeypatch)
    bot.slack.add_user(SPONSOR, tz="America/New_York")
    bot.slack.add_user(EMAIL_SPONSOR_ID, tz="Asia/Tokyo", email=EMAIL_SPONSOR)
    bot.slack.add_user(AM, tz="Europe/Paris")
    return bot, cli


def digests(bot: SlackBot, user: str) -> list[str]:
    """The text a sponsor can read in each DM of the day that carried their monthly digest,
    oldest first."""
    channel = bot.slack.dm_channel(user)
    return [
        m["text"] + "\n" + "\n".join(b["text"]["text"] for b in m["blocks"] if "text" in b)
        for m in tagged(bot.slack, channel, EVENT)
        if any(key.startswith("exec_digest:") for key in m["metadata"]["event_payload"]["parts"])
    ]


def test_once_a_month_in_the_sponsors_timezone_with_what_changed(world: Any) -> None:
    bot, _ = world
    tick(bot.runtime, datetime(2026, 11, 2, 13, 59, tzinfo=UTC))
    assert digests(bot, SPONSOR) == []  # 08:59 in New York
    (tokyo,) = digests(bot, EMAIL_SPONSOR_ID)  # 22:59 in Tokyo
    assert (
        "*Echo* (2026-Q3): Ed Echo changed title: CIO → CTO; Erin Old (CFO) left or went silent"
        in tokyo
    )
    assert "• *Echo*: 0 overdue commitments · 1 follow-ups past SLA" in tokyo

    tick(bot.runtime, datetime(2026, 11, 2, 14, 0, tzinfo=UTC))
    (november,) = digests(bot, SPONSOR)
    # Seb also hears of the follow-ups waiting past their target that day: one DM holds both.
    assert len(bot.slack.messages_in(bot.slack.dm_channel(SPONSOR))) == 1
    assert november.startswith(
        "3 waiting past the first-contact target; Your accounts this month (2026-11)"
    )
    changed = november[november.index("*What changed") : november.index("*Overdue*")]
    assert changed.count("• ") == 2
    assert "• *Foxtrot* (2026-Q3): :red_circle: newly at risk (satisfaction below 7)" in changed
    assert "• *Delta* (2026-Q3): :red_circle: newly at risk (NPS fell significantly)" in changed
    overdue = november[november.index("*Overdue*") : november.index("*Next reviews*")]
    assert [line.split("*")[1] for line in overdue.splitlines()[1:]] == [
        "Foxtrot", "Charlie", "Alpha", "Bravo", "Delta",
    ]  # fmt: skip
    assert "• *Alpha*: 1 overdue commitments · 1 follow-ups past SLA" in overdue
    assert "• *Delta*: 0 overdue commitments · 3 follow-ups past SLA" in overdue
    upcoming = november[november.index("*Next reviews*") :]
    assert upcoming.count("• ") == 1 and "• *Bravo*: <!date^1795168800^" in upcoming

    tick(bot.runtime, datetime(2026, 11, 2, 15, 0, tzinfo=UTC))
    tick(bot.runtime, datetime(2026, 11, 20, 15, 0, tzinfo=UTC))
    assert len(digests(bot, SPONSOR)) == 1 and len(digests(bot, EMAIL_SPONSOR_ID)) == 1


def test_a_month_with_nothing_changed_and_nothing_overdue_sends_nothing(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot, cli = world
    tick(bot.runtime, datetime(2026, 11, 2, 14, 0, tzinfo=UTC))
    assert len(digests(bot, EMAIL_SPONSOR_ID)) == 1
    at(monkeypatch, datetime(2026, 11, 10, 9, 0, tzinfo=UTC))
    (erin,) = json.loads(ok(cli("followups", "Echo", "--json")))
    ok(cli("followup", str(erin["id"]), "not-needed", "--by", AM, "--note", "moved on"))

    tick(bot.runtime, datetime(2026, 12, 1, 14, 0, tzinfo=UTC))
    tick(bot.runtime, datetime(2026, 12, 1, 20, 0, tzinfo=UTC))
    assert len(digests(bot, EMAIL_SPONSOR_ID)) == 1  # Echo: no news, nothing overdue
    december = digests(bot, SPONSOR)[-1]  # nothing changed, but still overdue: it goes
    assert len(digests(bot, SPONSOR)) == 2
    assert "Your accounts this month (2026-12)" in december and "*What changed" not in december
    # By 1 December the promises due 10 November (Alpha) and 2 November (Bravo) are late too.
    assert "• *Alpha*: 2 overdue commitments · 1 follow-ups past SLA" in december
    assert "• *Bravo*: 1 overdue commitments · 1 follow-ups past SLA" in december


def test_a_busy_slack_makes_the_sponsor_wait_for_the_next_tick(world: Any) -> None:
    bot, _ = world
    for method in ("users.list", "users.info", "users.lookupByEmail"):
        bot.slack.fail_next(method, status=500, count=1000)
    tick(bot.runtime, datetime(2026, 11, 2, 14, 0, tzinfo=UTC))
    assert digests(bot, SPONSOR) == []
    bot.slack.clear()  # Slack answers again
    tick(bot.runtime, datetime(2026, 11, 2, 14, 2, tzinfo=UTC))
    assert len(digests(bot, SPONSOR)) == 1


def dms(bot: SlackBot, user: str) -> list[dict[str, Any]]:
    return bot.slack.messages_in(bot.slack.dm_channel(user))


def reads(message: dict[str, Any]) -> str:
    return "\n".join(b["text"]["text"] for b in message["blocks"] if "text" in b)


def test_a_sponsor_with_reminders_that_day_gets_one_dm_with_both_in_tokyo_and_berlin(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seb moves to Berlin: 09:00 there on Monday 2 November is 08:00 UTC (CET since 25
    October), 17:00 in Tokyo. Seb has follow-ups past their target on his strategic accounts;
    the Echo sponsor has a promise of their own due that day."""
    bot, cli = world
    bot.slack.add_user(SPONSOR, tz="Europe/Berlin")
    at(monkeypatch, datetime(2026, 10, 20, 9, 0, tzinfo=UTC))
    ok(cli("commit", "Echo", "Send the deck", "--owner", EMAIL_SPONSOR, "--due", "2026-11-02"))

    tick(bot.runtime, datetime(2026, 11, 2, 7, 59, tzinfo=UTC))
    assert dms(bot, SPONSOR) == []  # 08:59 in Berlin
    tick(bot.runtime, datetime(2026, 11, 2, 8, 0, tzinfo=UTC))
    tick(bot.runtime, datetime(2026, 11, 2, 8, 2, tzinfo=UTC))

    (tokyo,) = dms(bot, EMAIL_SPONSOR_ID)
    assert "Send the deck" in reads(tokyo)  # the day's reminder…
    assert "Your accounts this month · 2026-11" in reads(tokyo)  # …and the month's digest
    assert "Ed Echo changed title: CIO → CTO" in reads(tokyo)
    assert (
        tokyo["text"]
        == "1 promise to a customer needs you today; Your accounts this month (2026-11)"
    )

    (berlin,) = dms(bot, SPONSOR)
    assert "Waiting past the first-contact target" in reads(berlin)
    assert "Your accounts this month · 2026-11" in reads(berlin)
    assert "*Delta* (2026-Q3): :red_circle: newly at risk (NPS fell significantly)" in reads(berlin)

    # The next working day brings reminders again, never the digest a second time.
    tick(bot.runtime, datetime(2026, 11, 3, 8, 0, tzinfo=UTC))
    assert len(digests(bot, SPONSOR)) == 1 and len(digests(bot, EMAIL_SPONSOR_ID)) == 1


def test_a_month_with_nothing_for_the_digest_leaves_the_days_dm_without_it(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """December for the Echo sponsor: no cycle since November's digest, nothing overdue once
    Erin's follow-up is closed; their promise due 1 December still gets its reminder."""
    bot, cli = world
    tick(bot.runtime, datetime(2026, 11, 2, 14, 0, tzinfo=UTC))
    at(monkeypatch, datetime(2026, 11, 10, 9, 0, tzinfo=UTC))
    (erin,) = json.loads(ok(cli("followups", "Echo", "--json")))
    ok(cli("followup", str(erin["id"]), "not-needed", "--by", AM, "--note", "moved on"))
    ok(cli("commit", "Echo", "Send the deck", "--owner", EMAIL_SPONSOR, "--due", "2026-12-01"))

    tick(bot.runtime, datetime(2026, 12, 1, 0, 0, tzinfo=UTC))  # 09:00 in Tokyo
    december = dms(bot, EMAIL_SPONSOR_ID)[-1]
    assert "Send the deck" in reads(december)
    assert "Your accounts this month" not in reads(december) + december["text"]
    assert december["metadata"]["event_payload"]["parts"] == []
    assert len(digests(bot, EMAIL_SPONSOR_ID)) == 1  # November's only
