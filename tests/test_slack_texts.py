"""What a newcomer reads in Slack: help that lists everything, examples that work on the demo,
and sentences that read right — through signed requests on the real HTTP path."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from tests.conftest import SlackBot
from tests.portfolio import AM, account_row, load, response_row

DEMO_NAME = "Halvorsen Freight Group"  # the demo's trapped account, which every example names


def _ask(bot: SlackBot, text: str, user: str = AM) -> dict[str, Any]:
    url = bot.slack.response_url()
    expected = len(bot.slack.responses) + 1
    assert bot.requests.slash_command(text, user_id=user, response_url=url).status == 200
    bot.slack.wait_for_response_url(count=expected)
    return bot.slack.responses_to(url)[-1]


def _text_of(payload: dict[str, Any]) -> str:
    return payload.get("text", "") + "\n" + json.dumps(payload.get("blocks") or [])


@pytest.mark.parametrize("text", ["", "help"])
def test_help_lists_the_meeting_actions_and_examples_that_work_on_the_demo(
    bot: SlackBot, text: str
) -> None:
    answer = _ask(bot, text)["text"]
    assert "also `/voc meeting list [ACCOUNT]`, `/voc meeting move ID DATE [TIME]`, " in answer
    assert "`/voc meeting cancel ID`" in answer
    assert "e.g. `/voc account halvorsen`" in answer
    assert "e.g. `/voc meeting halvorsen 2026-12-03 14:00 #acct-halvorsen-freight-group`" in answer
    assert "e.g. `/voc commit halvorsen`" in answer and "e.g. `/voc open halvorsen`" in answer
    assert "e.g. `/voc sponsor halvorsen @jane`" in answer
    assert "acme" not in answer.casefold()


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("account", "Which account? For example `/voc account halvorsen`."),
        ("digest", "Which account? For example `/voc digest halvorsen`."),
        ("commit", "Which account? For example `/voc commit halvorsen`."),
        ("sponsor halvorsen", "`/voc sponsor halvorsen @jane` (an email works too)."),
        ("meeting 2026-12-03", "Which account? For example `/voc meeting halvorsen 2026-12-03"),
        (
            "meeting",
            "e.g. `/voc meeting halvorsen 2026-12-03 14:00 #acct-halvorsen-freight-group @jane`",
        ),
        ("meetings", "e.g. `/voc meeting halvorsen 2026-12-03 14:00`"),
    ],
)
def test_usage_hints_name_a_demo_account(bot: SlackBot, text: str, hint: str) -> None:
    reply = _text_of(_ask(bot, text))
    assert hint in reply
    assert "acme" not in reply.casefold()


def test_the_home_tab_of_someone_without_accounts_reads_right(bot: SlackBot) -> None:
    event = {"type": "app_home_opened", "user": AM, "channel": "D0AM", "tab": "home"}
    assert bot.requests.event(event).status == 200
    [call] = bot.slack.wait_for("views.publish")
    shown = json.dumps(call.params["view"]["blocks"])
    assert "You are not on the team of any account yet." in shown


def test_a_single_respondent_is_one_respondent_in_the_notification_line(bot: SlackBot) -> None:
    load(
        bot.runtime,
        [account_row(DEMO_NAME)],
        [response_row(DEMO_NAME, "2026-Q4", "Solo Person", 7, 9, 8)],
    )
    fallback = _ask(bot, "account halvorsen")["text"]
    assert fallback == f"{DEMO_NAME} (2026-Q4): NPS +100, satisfaction 7.0/10, 1 respondent"


def test_the_meeting_confirmation_says_when_the_digest_is_due(bot: SlackBot) -> None:
    load(bot.runtime, [account_row(DEMO_NAME, channel="C0HALVOR1")])
    year = date.today().year + 1
    reply = _ask(bot, f"meeting halvorsen {year}-03-04 14:00")["text"]
    assert "The pre-meeting digest goes to <#C0HALVOR1>, due <!date^" in reply
