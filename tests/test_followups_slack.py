"""Follow-ups in Slack through the real HTTP path: `/voc followups`, its buttons, App Home.

ACME Corp's team is AM (manager), SPONSOR and MEMBER; Globex's is ADMIN alone. In 2026-Q4 Cy
Dunn (ACME, 4/3/3) is dissatisfied, a detractor and high risk; Gus Fring (Globex, 5/9/9) is
dissatisfied; Ann Lee (ACME, 9/10/9) gives no reason and gets no follow-up.
"""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import SlackBot
from tests.portfolio import ADMIN, AM, MEMBER, OUTSIDER, account_row, load, response_row
from tests.slack.blockkit import assert_valid_blocks

GLOBEX_TEAM = {"account_manager": ADMIN, "exec_sponsor": ADMIN, "team": ADMIN}


def _portfolio(bot: SlackBot) -> None:
    load(
        bot.runtime,
        [account_row("ACME Corp"), account_row("Globex", channel="C0GLOBEX1", **GLOBEX_TEAM)],
        [
            response_row("ACME Corp", "2026-Q4", "Ann Lee", 9, 10, 9),
            response_row("ACME Corp", "2026-Q4", "Cy Dunn", 4, 3, 3, role="user"),
            response_row("Globex", "2026-Q4", "Gus Fring", 5, 9, 9),
        ],
    )
    for user in (AM, MEMBER, OUTSIDER, ADMIN):
        bot.slack.add_user(user)


def _text_of(payload: dict[str, Any]) -> str:
    return (
        payload.get("text", "") + "\n" + json.dumps(payload.get("blocks") or [], ensure_ascii=False)
    )


def _ask(bot: SlackBot, text: str, user: str) -> dict[str, Any]:
    url = bot.slack.response_url()
    expected = len(bot.slack.responses) + 1
    assert bot.requests.slash_command(text, user_id=user, response_url=url).status == 200
    bot.slack.wait_for_response_url(count=expected)
    return bot.slack.responses_to(url)[-1]


def _press(bot: SlackBot, action_id: str, user: str, message: dict[str, Any]) -> dict[str, Any]:
    url = bot.slack.response_url()
    expected = len(bot.slack.responses) + 1
    bot.requests.block_action(action_id, user_id=user, message=message, response_url=url)
    bot.slack.wait_for_response_url(count=expected)
    return bot.slack.responses_to(url)[-1]


def test_the_account_manager_sees_the_follow_ups_of_their_accounts(bot: SlackBot) -> None:
    _portfolio(bot)
    reply = _ask(bot, "followups", AM)
    text = _text_of(reply)
    assert reply["response_type"] == "ephemeral"
    assert "Cy Dunn" in text and "dissatisfied, detractor, high risk" in text
    assert "Ann Lee" not in text and "Gus Fring" not in text
    assert "followup_contacted" in text and "followup_closed" in text


def test_the_account_report_shows_who_waits_for_a_first_contact(bot: SlackBot) -> None:
    _portfolio(bot)
    reply = _ask(bot, "account acme", AM)
    assert_valid_blocks(reply["blocks"])
    text = _text_of(reply)
    assert "*Follow-ups* — 1 person waiting for a first contact" in text
    assert "*Cy Dunn* (user) · ACME Corp · dissatisfied, detractor, high risk" in text
    assert f"Owner <@{AM}>" in text
    assert "Gus Fring" not in text  # Globex's, not ACME's


def test_only_the_account_team_sees_an_accounts_follow_ups(bot: SlackBot) -> None:
    _portfolio(bot)
    assert "Cy Dunn" in _text_of(_ask(bot, "followups acme", MEMBER))
    refused = _text_of(_ask(bot, "followups acme", OUTSIDER))
    assert "not on the account team" in refused and "Cy Dunn" not in refused


def test_contacted_moves_it_off_the_open_list(bot: SlackBot) -> None:
    _portfolio(bot)
    listed = _ask(bot, "followups acme", MEMBER)
    answer = _text_of(_press(bot, "followup_contacted", MEMBER, listed))
    assert "Cy Dunn" in answer and "open → contacted" in answer
    assert "Nobody is waiting for a call back." in _text_of(_ask(bot, "followups acme", AM))


def test_a_button_pressed_by_someone_off_the_team_changes_nothing(bot: SlackBot) -> None:
    _portfolio(bot)
    listed = _ask(bot, "followups acme", AM)
    answer = _text_of(_press(bot, "followup_closed", OUTSIDER, listed))
    assert "not on the account team" in answer and "ACME" not in answer
    assert "Cy Dunn" in _text_of(_ask(bot, "followups acme", AM))


def test_app_home_lists_what_the_owner_is_to_follow_up_and_closed_clears_it(
    bot: SlackBot,
) -> None:
    _portfolio(bot)
    seen = len(bot.slack.calls_to("views.publish"))
    bot.requests.event({"type": "app_home_opened", "user": AM, "tab": "home", "channel": "D1"})
    home = bot.slack.wait_for("views.publish", count=seen + 1)[-1].response["view"]
    assert "Follow-ups waiting for you" in _text_of(home) and "Cy Dunn" in _text_of(home)
    bot.requests.block_action("followup_closed", user_id=AM, view=home)
    home = bot.slack.wait_for("views.publish", count=seen + 2)[-1].response["view"]
    assert "Cy Dunn" not in _text_of(home)
