"""Champion changes across three survey cycles: in `voc account`, `/voc account` and the portfolio.

Each report compares the cycle shown with the one before it, so a change belongs to one pair:

| person | role | 2026-Q2 | 2026-Q3 | 2026-Q4 |
|---|---|---|---|---|
| Ann Lee | decision maker | CIO | VP IT (title changed) | vp  it (the same title) |
| Bob Ray | decision maker | CFO | — (left or silent) | CFO (back: not a change) |
| Cy Dunn | user | Analyst | Analyst | — (not a decision maker) |
| Di Moss | decision maker | — | COO | — (left or silent) |
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.cli import main as voc
from bot.runtime import Runtime
from tests.conftest import SlackBot
from tests.portfolio import ADMIN, AM, account_row, load, response_row
from tests.reviews import DIGEST_DUE, digests_in, load_acme, schedule, scheduler_settings, tick
from tests.slack import FakeSlack, assert_valid_blocks

ANSWERS = {
    "2026-Q2": [("Ann Lee", "CIO", "decision_maker"), ("Bob Ray", "CFO", "decision_maker"),
                ("Cy Dunn", "Analyst", "user")],
    "2026-Q3": [("Ann Lee", "VP IT", "decision_maker"), ("Cy Dunn", "Analyst", "user"),
                ("Di Moss", "COO", "decision_maker")],
    "2026-Q4": [("Ann Lee", "vp  it", "decision_maker"), ("Bob Ray", "CFO", "decision_maker")],
}  # fmt: skip


def _load(runtime: Runtime) -> None:
    rows = [
        response_row("ACME Corp", cycle, name, 8, 8, 8, title=title, role=role)
        for cycle, people in ANSWERS.items()
        for name, title, role in people
    ]
    load(runtime, [account_row("ACME Corp", channel=None)], rows)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    capsys.readouterr()
    assert voc(list(argv)) == 0
    return capsys.readouterr().out


def _changes(result: dict[str, Any]) -> list[tuple[str, str, str | None, str | None]]:
    return [
        (c["respondent"], c["change"], c["previous_title"], c["title"])
        for c in result["champion_changes"]
    ]


def test_each_report_names_the_changes_of_its_pair_of_cycles(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", str(runtime.engine.url))
    _load(runtime)
    q3 = json.loads(_run(capsys, "account", "ACME", "--cycle", "2026-Q3", "--json"))
    assert _changes(q3) == [
        ("Ann Lee", "title_changed", "CIO", "VP IT"),
        ("Bob Ray", "left_or_silent", "CFO", None),
    ]
    q4 = json.loads(_run(capsys, "account", "ACME", "--json"))
    assert _changes(q4) == [("Di Moss", "left_or_silent", "COO", None)]
    text = _run(capsys, "account", "ACME")
    assert "Champion changes since 2026-Q3\n  Di Moss: left or went silent (was COO)\n" in text
    portfolio = json.loads(_run(capsys, "portfolio", "--json"))
    assert [
        (c["account"], c["respondent"], c["change"]) for c in portfolio["champion_changes"]
    ] == [("ACME Corp", "Di Moss", "left_or_silent")]


def test_the_slack_report_shows_them(make_bot: Any) -> None:
    bot: SlackBot = make_bot(admins=frozenset({ADMIN}))
    _load(bot.runtime)
    bot.slack.add_user(AM)
    url = bot.slack.response_url()
    assert (
        bot.requests.slash_command("account ACME Corp", user_id=AM, response_url=url).status == 200
    )
    bot.slack.wait_for_response_url(count=1)
    answer = bot.slack.responses_to(url)[-1]
    assert_valid_blocks(answer["blocks"])
    shown = json.dumps(answer["blocks"], ensure_ascii=False)
    assert "Champion changes: Di Moss (COO) left or went silent" in shown


def test_the_pre_meeting_digest_opens_with_them(make_runtime: Any, slack: FakeSlack) -> None:
    """tests/reviews.py's ACME: Ed Wu, a decision maker (CIO), answered 2026-Q3 and not 2026-Q4."""
    rt = make_runtime(**scheduler_settings(slack))
    load_acme(rt)
    schedule(rt)
    tick(rt, DIGEST_DUE)
    [digest] = digests_in(slack)
    assert_valid_blocks(digest["blocks"])
    sections = [b["text"]["text"] for b in digest["blocks"] if b["type"] == "section"]
    changes = [text for text in sections if "Champion changes" in text]
    assert changes == [":bust_in_silhouette: *Champion changes:* Ed Wu (CIO) left or went silent"]
    assert sections.index(changes[0]) < next(
        i for i, text in enumerate(sections) if "This cycle's results" in text
    )
