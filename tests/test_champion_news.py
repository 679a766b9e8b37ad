"""Champion changes announced once to the account team and the sponsor: the import that brings
a cycle owes one message per change in the account channel (in its own transaction), the tick
posts it, mentioning the sponsor and the account manager; a re-import owes nothing more.

| person | role | 2026-Q2 | 2026-Q3 | 2026-Q4 |
|---|---|---|---|---|
| Ann Lee | decision maker | CIO | VP IT (title changed) | VP IT |
| Bob Ray | decision maker | CFO | — (left or silent) | CFO (back: not a change) |
| Di Moss | decision maker | — | COO | — (left or silent) |

Everyone answers 8/8/8: nobody to get back to, so the channel hears of champions only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main as voc
from bot.core import clock
from bot.intake import writing
from tests.cli import write_csv
from tests.conftest import SlackBot
from tests.portfolio import AM, SPONSOR, account_row, load
from tests.reminders_world import tagged, tick
from tests.slack.blockkit import assert_valid_blocks

CHANNEL = "C0ACME001"
HEADER = "account,cycle,respondent,email,title,role,satisfaction,recommend,continue"
IMPORTED = datetime(2027, 1, 12, 10, 0, tzinfo=UTC)  # a Tuesday


def _row(cycle: str, name: str, title: str) -> str:
    email = name.lower().replace(" ", ".") + "@acme.example"
    return f"ACME Corp,{cycle},{name},{email},{title},decision_maker,8,8,8"


CYCLES = {
    "2026-Q2": [("Ann Lee", "CIO"), ("Bob Ray", "CFO")],
    "2026-Q3": [("Ann Lee", "VP IT"), ("Di Moss", "COO")],
    "2026-Q4": [("Ann Lee", "VP IT"), ("Bob Ray", "CFO")],
}


@pytest.fixture
def imported(
    make_bot: Callable[..., SlackBot],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> tuple[SlackBot, Callable[[str], None]]:
    bot = make_bot()
    monkeypatch.setenv("DATABASE_URL", bot.runtime.engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)  # what is owed waits for the tick
    bot.slack.add_channel(CHANNEL, name="acct-acme", members=[AM])
    load(bot.runtime, [account_row("ACME Corp")])

    def import_cycle(cycle: str) -> None:
        for module in (clock, writing):
            monkeypatch.setattr(module, "utc_now", lambda: IMPORTED)
        path = write_csv(
            tmp_path / f"{cycle}.csv", HEADER, *(_row(cycle, *who) for who in CYCLES[cycle])
        )
        capsys.readouterr()
        assert voc(["import", "responses", str(path)]) == 0, capsys.readouterr().err

    return bot, import_cycle


def news(bot: SlackBot) -> list[dict[str, Any]]:
    return tagged(bot.slack, CHANNEL, "voc_champion_change")


def reads(message: dict[str, Any]) -> str:
    texts = [b["text"]["text"] for b in message["blocks"] if "text" in b]
    texts += [e["text"] for b in message["blocks"] if b["type"] == "context" for e in b["elements"]]
    return "\n".join(texts)


def test_each_change_is_told_once_to_the_team_and_the_sponsor(imported: Any) -> None:
    bot, import_cycle = imported
    import_cycle("2026-Q2")  # history: nothing to compare with
    tick(bot.runtime, IMPORTED + timedelta(minutes=2))
    assert news(bot) == []

    import_cycle("2026-Q3")
    tick(bot.runtime, IMPORTED + timedelta(minutes=4))
    ann, bob = news(bot)  # in the order of the people's names
    for message in (ann, bob):
        assert_valid_blocks(message["blocks"])
        assert f"For the account team and <@{SPONSOR}>, <@{AM}>" in reads(message)
    assert ann["text"] == "Champion change at ACME Corp: Ann Lee changed title: CIO → VP IT"
    assert "*Champion change at ACME Corp* (2026-Q3): Ann Lee changed title" in reads(ann)
    assert bob["text"] == "Champion change at ACME Corp: Bob Ray (CFO) left or went silent"

    import_cycle("2026-Q3")  # the same file again: nothing new to tell
    tick(bot.runtime, IMPORTED + timedelta(minutes=6))
    tick(bot.runtime, IMPORTED + timedelta(minutes=8))
    assert len(news(bot)) == 2

    import_cycle("2026-Q4")  # Bob is back (no change); Di, COO in Q3, is silent
    tick(bot.runtime, IMPORTED + timedelta(minutes=10))
    assert [m["text"] for m in news(bot)[2:]] == [
        "Champion change at ACME Corp: Di Moss (COO) left or went silent"
    ]
