"""`/voc sponsor ACCOUNT @person` refuses a sponsor who already has VOC_SPONSOR_MAX_ACCOUNTS
accounts (default 3) unless the team adds `confirm`; through the real Bolt path."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.models import Account
from tests.conftest import SlackBot
from tests.portfolio import ADMIN, account_row, load

JANE = "U0NEWSPON"


def _world(make_bot: Any, **settings: Any) -> SlackBot:
    bot: SlackBot = make_bot(admins=frozenset({ADMIN}), **settings)
    load(
        bot.runtime,
        [account_row(f"Held {i}", exec_sponsor=JANE, channel=None) for i in (1, 2, 3)]
        + [account_row("Newco", exec_sponsor=None, channel=None)],
    )
    bot.slack.add_user(ADMIN)
    bot.slack.add_user(JANE)
    return bot


def _ask(bot: SlackBot, text: str) -> dict[str, Any]:
    url = bot.slack.response_url()
    expected = len(bot.slack.responses) + 1
    assert bot.requests.slash_command(text, user_id=ADMIN, response_url=url).status == 200
    bot.slack.wait_for_response_url(count=expected)
    return bot.slack.responses_to(url)[-1]


def _sponsor_of(bot: SlackBot, name: str) -> str | None:
    with bot.runtime.sessions() as session:
        return session.scalars(select(Account.exec_sponsor).where(Account.name == name)).one()


def test_a_fourth_account_is_refused_until_confirmed(make_bot: Any) -> None:
    bot = _world(make_bot)
    refused = _ask(bot, f"sponsor Newco <@{JANE}|jane>")
    assert refused["text"] == (
        "That person already sponsors 3 accounts, the most VOC_SPONSOR_MAX_ACCOUNTS allows (3). "
        "To name them anyway: `/voc sponsor Newco @person confirm`."
    )
    assert _sponsor_of(bot, "Newco") is None
    again = _ask(bot, f"sponsor Held 2 <@{JANE}|jane>")  # already theirs: no new load
    assert again["text"].startswith(f"<@{JANE}> is now the executive sponsor of *Held 2*")
    confirmed = _ask(bot, f"sponsor Newco <@{JANE}|jane> confirm")
    assert confirmed["text"].startswith(f"<@{JANE}> is now the executive sponsor of *Newco*")
    assert _sponsor_of(bot, "Newco") == JANE


def test_the_limit_is_a_setting(make_bot: Any) -> None:
    bot = _world(make_bot, sponsor_max_accounts=4)
    named = _ask(bot, f"sponsor Newco <@{JANE}|jane>")
    assert named["text"].startswith(f"<@{JANE}> is now the executive sponsor of *Newco*")
