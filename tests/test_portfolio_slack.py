"""`/voc portfolio` through the real Bolt path: who sees which accounts, and how they read.

The world is tests/executive_world.py; an admin sees every strategic and key account, a sponsor
(by Slack ID, or by the email the roster names them with) their own, anyone else a refusal that
names no account.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from bot.cli import main as voc
from tests.conftest import SlackBot
from tests.executive_world import EMAIL_SPONSOR, EMAIL_SPONSOR_ID, build
from tests.portfolio import ADMIN, OUTSIDER, SPONSOR, account_row, load, response_row
from tests.slack.blockkit import assert_valid_blocks


@pytest.fixture
def world(
    make_bot: Callable[..., SlackBot],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> SlackBot:
    bot = make_bot(admins=frozenset({ADMIN}))
    url = bot.runtime.engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("DATABASE_URL", url)

    def cli(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        status = voc(list(argv))
        out, err = capsys.readouterr()
        return status, out, err

    build(bot.runtime, cli, monkeypatch)
    for user in (ADMIN, SPONSOR, OUTSIDER):
        bot.slack.add_user(user)
    bot.slack.add_user(EMAIL_SPONSOR_ID, email=EMAIL_SPONSOR)
    return bot


def ask(bot: SlackBot, user: str) -> dict[str, Any]:
    url = bot.slack.response_url()
    before = len(bot.slack.wait_for_response_url(count=0))
    assert bot.requests.slash_command("portfolio", user_id=user, response_url=url).status == 200
    answer = bot.slack.wait_for_response_url(count=before + 1)[-1]
    assert answer["response_type"] == "ephemeral"
    return answer


def shown(answer: dict[str, Any]) -> str:
    return answer["text"] + "\n" + json.dumps(answer.get("blocks") or [], ensure_ascii=False)


def order_in(text: str, names: list[str]) -> list[int]:
    return [text.index(f"*{name}*") for name in names]


def test_an_admin_sees_every_strategic_and_key_account_at_risk_first(world: SlackBot) -> None:
    answer = ask(world, ADMIN)
    assert_valid_blocks(answer["blocks"])
    text = shown(answer)
    assert answer["text"] == "Portfolio: revenue at risk 3,500,000"
    assert "*Revenue at risk: 3,500,000* · 4 of 6 accounts at risk" in text
    positions = order_in(text, ["Charlie", "Alpha", "Bravo", "Delta", "Echo", "Golf"])
    assert positions == sorted(positions)
    assert "*Foxtrot*" not in text
    assert "a decision maker is high risk" in text and "NPS fell significantly" in text
    assert f"sponsor <@{SPONSOR}>" in text and "AM <@U0AM00001>" in text
    assert "*Strategic accounts without a sponsor:* Golf" in text
    assert f"*Sponsor over capacity:* <@{SPONSOR}> has 5 accounts (at most 3)" in text
    assert "*Champion change · Echo:* Erin Old (CFO) left or went silent" in text
    assert "<!date^" in text  # reviews in each reader's own timezone


def test_a_sponsor_sees_only_their_accounts(world: SlackBot) -> None:
    text = shown(ask(world, SPONSOR))
    assert "*Revenue at risk: 12,500,000* · 5 of 5 accounts at risk" in text
    assert "*Foxtrot*" in text and "*Echo*" not in text and "*Golf*" not in text
    assert "without a sponsor" not in text
    by_email = shown(ask(world, EMAIL_SPONSOR_ID))
    assert "*Echo*" in by_email and "*Alpha*" not in by_email
    assert "*Revenue at risk: 0* · 0 of 1 accounts at risk" in by_email


def test_anyone_else_is_refused_without_an_account_being_named(world: SlackBot) -> None:
    answer = ask(world, OUTSIDER)
    assert answer["text"].startswith("The portfolio is for executive sponsors and admins")
    assert not answer.get("blocks")
    for name in ("Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Golf"):
        assert name not in answer["text"]


def test_a_large_portfolio_stays_within_slacks_limits(make_bot: Callable[..., SlackBot]) -> None:
    """50 unsponsored strategic accounts, each with a decision maker who went silent."""
    bot = make_bot(admins=frozenset({ADMIN}))
    names = [f"Account <{i:02d}>" for i in range(50)]  # names from a file: escaped
    rows = [
        response_row(name, "2026-Q2", f"Dee {i}", 8, 8, 8, email=f"dee{i}@x.example")
        for i, name in enumerate(names)
    ] + [
        response_row(name, "2026-Q3", f"Uma {i}", 8, 8, 8, role="user", email=f"uma{i}@x.example")
        for i, name in enumerate(names)
    ]
    load(bot.runtime, [account_row(n, exec_sponsor=None, channel=None) for n in names], rows)
    bot.slack.add_user(ADMIN)
    answer = ask(bot, ADMIN)
    assert_valid_blocks(answer["blocks"])
    text = shown(answer)
    assert "…and 10 more; `voc portfolio` lists them all." in text
    assert "Account &lt;00&gt;, Account &lt;01&gt;" in text and " and 35 more" in text
    assert "…and 35 more" in text  # champion changes beyond the first 15
