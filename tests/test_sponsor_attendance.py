"""Sponsor coverage from who attended the reviews: meetings record their attendees (`/voc
meeting … @people`, `/voc meeting attendees N @people`, `voc meeting --attendees`), and the
portfolio and the leadership pack list the sponsors at none of their accounts' reviews within
the account's cadence (monthly 31 days, quarterly 92).

Worked out by hand, read at NOW = Tuesday 1 December 2026 09:00 UTC (the monthly leadership
review's moment); quarterly windows open 31 August 09:00, monthly ones 31 October 09:00:
- Jane sponsors Held 1 (quarterly, reviewed 10 September with her: inside) and Held 2 (monthly,
  reviewed 20 October with her: outside). One is enough: Jane is covered.
- Omar sponsors Omar Co (quarterly, reviewed 15 September, scheduled without attendees): listed
  until `/voc meeting attendees` records him there.
- Pia sponsors Pia Co (monthly): reviewed 20 October with her (outside 31 days) and
  25 November with someone else only (inside, but not her): listed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.cli import main as voc
from bot.cli import meetings as cli_meetings
from bot.core import clock
from handlers import meetings as slack_meetings
from tests.conftest import SlackBot
from tests.portfolio import ADMIN, account_row, load
from tests.reminders_world import tagged, tick
from tests.slack.blockkit import assert_valid_blocks

JANE, OMAR, PIA = "U0JANE001", "U0OMAR001", "U0PIA0001"
LEADERS = "C0LEADERS"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _at(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    for module in (clock, cli_meetings, slack_meetings):
        monkeypatch.setattr(module, "utc_now", lambda: moment)


@pytest.fixture
def world(
    make_bot: Callable[..., SlackBot],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> tuple[SlackBot, Callable[..., tuple[int, str, str]]]:
    bot = make_bot(
        admins=frozenset({ADMIN}), leadership_channel=LEADERS, leadership_cadence="monthly"
    )
    monkeypatch.setenv("DATABASE_URL", bot.runtime.engine.url.render_as_string(hide_password=False))
    load(
        bot.runtime,
        [
            account_row("Held 1", exec_sponsor=JANE, channel=None),
            account_row("Held 2", exec_sponsor=JANE, cadence="monthly", channel=None),
            account_row("Omar Co", exec_sponsor=OMAR, channel=None),
            account_row("Pia Co", exec_sponsor=PIA, cadence="monthly", channel=None),
        ],
    )
    for user in (ADMIN, JANE, OMAR, PIA):
        bot.slack.add_user(user, tz="UTC")
    bot.slack.add_channel(LEADERS, name="leadership")

    def cli(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        status = voc(list(argv))
        out, err = capsys.readouterr()
        return status, out, err

    _at(monkeypatch, datetime(2026, 9, 1, 9, 0, tzinfo=UTC))
    assert ask(bot, f"meeting Held 1 2026-09-10 10:00 <@{JANE}|jane>")["text"].startswith(
        ":calendar: Review with *Held 1* scheduled for"
    )
    ask(bot, "meeting Omar Co 2026-09-15 10:00")
    ran = cli("meeting", "Pia Co", "2026-10-20", "10:00", "--attendees", f"{PIA},ann@corp.example")
    assert ran[0] == 0 and f"With {PIA}, ann@corp.example." in ran[1], ran
    ran = cli("meeting", "Held 2", "2026-10-20", "10:00", "--attendees", JANE)
    assert ran[0] == 0, ran
    ran = cli("meeting", "Pia Co", "2026-11-25", "10:00", "--attendees", "ann@corp.example")
    assert ran[0] == 0, ran
    _at(monkeypatch, NOW)
    return bot, cli


def ask(bot: SlackBot, text: str, user: str = ADMIN) -> dict[str, Any]:
    url = bot.slack.response_url()
    expected = len(bot.slack.responses) + 1
    assert bot.requests.slash_command(text, user_id=user, response_url=url).status == 200
    bot.slack.wait_for_response_url(count=expected)
    return bot.slack.responses_to(url)[-1]


def absent(cli: Callable[..., tuple[int, str, str]]) -> list[str]:
    status, out, err = cli("portfolio", "--json")
    assert status == 0, err
    return json.loads(out)["coverage"]["sponsors_at_no_review"]


def test_sponsors_at_no_review_in_the_cadence_until_their_attendance_is_recorded(
    world: Any,
) -> None:
    bot, cli = world
    assert absent(cli) == [OMAR, PIA]

    recorded = ask(bot, f"meeting attendees 2 <@{OMAR}|omar> ann@corp.example")
    assert recorded["text"] == (
        f":busts_in_silhouette: Review #2 with *Omar Co*: <@{OMAR}>, ann@corp.example."
    )
    assert absent(cli) == [PIA]

    view = ask(bot, "portfolio")
    assert_valid_blocks(view["blocks"])
    text = "\n".join(b["text"]["text"] for b in view["blocks"] if "text" in b)
    assert f"*Sponsors at none of their accounts' reviews in the cadence:* <@{PIA}>" in text


def test_a_sponsor_sees_only_their_own_gap(world: Any) -> None:
    _, cli = world
    status, out, _ = cli("portfolio", "--sponsor", PIA, "--json")
    assert status == 0 and json.loads(out)["coverage"]["sponsors_at_no_review"] == [PIA]
    status, out, _ = cli("portfolio", "--sponsor", JANE, "--json")
    assert status == 0 and json.loads(out)["coverage"]["sponsors_at_no_review"] == []


def test_the_leadership_pack_lists_them(world: Any) -> None:
    bot, _ = world
    tick(bot.runtime, NOW)
    (pack,) = tagged(bot.slack, LEADERS, "voc_leadership_pack")
    assert_valid_blocks(pack["blocks"])
    text = "\n".join(b["text"]["text"] for b in pack["blocks"] if "text" in b)
    assert (
        f"*Sponsors at none of their accounts' reviews in the cadence:* <@{OMAR}>, <@{PIA}>"
    ) in text


def test_attendees_that_are_not_people_are_refused_and_nothing_is_stored(world: Any) -> None:
    bot, cli = world
    refused = ask(bot, "meeting attendees 2 <!channel>")
    assert "is not a person" in refused["text"] and "<!channel>" not in refused["text"]
    status, _, err = cli("meeting", "Held 1", "2027-01-10", "--attendees", "jane")
    assert status == 2 and '"jane" is not a person' in err
    status, out, _ = cli("meetings", "Held 1", "--json")
    assert [m["starts_at"][:10] for m in json.loads(out)] == []  # nothing was scheduled
    assert absent(cli) == [OMAR, PIA]
