"""`/voc meeting`, `/voc meetings`, `/voc sponsor` and the meeting buttons, through Slack.

Handlers read the real clock, so dates here are in next year; the due-time rules themselves are
pinned with fixed dates in test_meetings.py and test_scheduler.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.delivery import ledger
from bot.meetings.rules import digest_key
from storage.models import Account, AuditEntry, Meeting
from tests.conftest import SlackBot
from tests.portfolio import AM, MEMBER, OUTSIDER, SPONSOR, account_row, load
from tests.reviews import PARIS, load_acme
from tests.slack import assert_valid_view, datepicker_value

NEW_YORK = ZoneInfo("America/New_York")
YEAR = date.today().year + 1
MARCH_4 = f"{YEAR}-03-04"  # New York is on EST (UTC−5) until the second Sunday of March


@pytest.fixture
def team_bot(make_bot: Callable[..., SlackBot]) -> SlackBot:
    bot = make_bot(timezone="Europe/Paris")
    load_acme(bot.runtime)
    bot.slack.add_user(AM, tz="America/New_York")
    bot.slack.add_channel("C0ACME001", members=[MEMBER])
    return bot


def _ask(bot: SlackBot, text: str, user: str = AM) -> dict[str, Any]:
    url = bot.slack.response_url()
    expected = len(bot.slack.responses) + 1
    assert bot.requests.slash_command(text, user_id=user, response_url=url).status == 200
    bot.slack.wait_for_response_url(count=expected)
    return bot.slack.responses_to(url)[-1]


def _meetings(bot: SlackBot) -> list[Meeting]:
    with bot.runtime.sessions() as session:
        return list(session.scalars(select(Meeting).order_by(Meeting.id)))


def _audit(bot: SlackBot, action: str) -> list[AuditEntry]:
    with bot.runtime.sessions() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _date_token(moment: datetime) -> str:
    return f"<!date^{int(moment.timestamp())}^"


def test_a_meeting_is_scheduled_in_the_requesters_timezone(team_bot: SlackBot) -> None:
    reply = _ask(team_bot, f"meeting ACME Corp {MARCH_4} 2pm <#C0REVIEW1|acme-review>")
    starts = datetime(YEAR, 3, 4, 19, 0, tzinfo=UTC)  # 14:00 in New York
    assert reply["response_type"] == "ephemeral"
    assert f"Review with *ACME Corp* scheduled for {_date_token(starts)}" in reply["text"]
    assert "<#C0REVIEW1>" in reply["text"]
    [meeting] = _meetings(team_bot)
    assert (meeting.starts_at, meeting.channel, meeting.created_by) == (starts, "C0REVIEW1", AM)
    assert meeting.digest_due_at is not None
    due = meeting.digest_due_at.astimezone(PARIS)
    assert due.hour == 9 and due.weekday() < 5 and meeting.digest_due_at < starts
    assert _date_token(meeting.digest_due_at) in reply["text"]
    assert [entry.entity_id for entry in _audit(team_bot, "meeting_scheduled")] == [str(meeting.id)]


def test_without_a_time_or_channel_it_is_ten_oclock_in_the_account_channel(
    team_bot: SlackBot,
) -> None:
    reply = _ask(team_bot, f"meeting acme {MARCH_4}")
    assert "no time given, so 10:00 your time" in reply["text"]
    [meeting] = _meetings(team_bot)
    assert meeting.starts_at == datetime(YEAR, 3, 4, 10, tzinfo=NEW_YORK)
    assert meeting.channel == "C0ACME001"


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("meeting acme 2020-01-06 10:00", "That moment is in the past"),
        ("meeting acme someday", 'I could not find a date in "acme someday"'),
        (f"meeting acme 03/04/{YEAR}", "could be read as day/month or month/day"),
        (f"meeting acne corp {MARCH_4} 10:00", "Did you mean ACME Corp?"),
        (f"meeting {MARCH_4}", "Which account?"),
        ("meeting", "/voc meeting ACCOUNT DATE [TIME] [#channel]"),
    ],
)
def test_what_cannot_be_a_meeting_is_explained(team_bot: SlackBot, text: str, answer: str) -> None:
    assert answer in _ask(team_bot, text)["text"]
    assert _meetings(team_bot) == []


def test_only_the_account_team_schedules_its_meetings(team_bot: SlackBot) -> None:
    team_bot.slack.add_user(OUTSIDER)
    reply = _ask(team_bot, f"meeting acme {MARCH_4} 10:00", user=OUTSIDER)
    assert "not on the account team" in reply["text"]
    assert _meetings(team_bot) == []
    assert "not on the account team" in _ask(team_bot, "meetings acme", user=OUTSIDER)["text"]


def _button(payload: dict[str, Any], action_id: str, meeting_id: int) -> dict[str, Any]:
    return next(
        element
        for block in payload["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == action_id and element["value"] == str(meeting_id)
    )


def test_the_list_cancels_a_meeting_and_its_digest(team_bot: SlackBot) -> None:
    _ask(team_bot, f"meeting acme {MARCH_4} 10:00")
    _ask(team_bot, f"meeting acme {YEAR}-06-03 10:00")
    first, second = _meetings(team_bot)
    listing = _ask(team_bot, "meetings acme")
    assert listing["text"] == "2 upcoming review meetings"
    cancel = _button(listing, "meeting_cancel", first.id)
    assert cancel["confirm"]["confirm"]["text"] == "Cancel the review"

    url = team_bot.slack.response_url()
    expected = len(team_bot.slack.responses) + 1
    team_bot.requests.block_action(
        "meeting_cancel", str(first.id), user_id=AM, message=listing, response_url=url
    )
    team_bot.slack.wait_for_response_url(count=expected)
    assert (
        "is cancelled. Its digest will not be sent." in team_bot.slack.responses_to(url)[-1]["text"]
    )
    cancelled, kept = _meetings(team_bot)
    assert (cancelled.status, kept.status) == ("cancelled", "scheduled")
    assert first.digest_due_at is not None
    key = digest_key(first.id, first.digest_due_at)
    assert ledger.status_of(team_bot.runtime.sessions, workspace_id="local", key=key) == (
        "cancelled"
    )
    assert _ask(team_bot, "meetings")["text"] == "1 upcoming review meeting"
    assert f"meeting_{second.id}" in json.dumps(_ask(team_bot, "meeting list acme")["blocks"])


def test_move_and_cancel_by_number(team_bot: SlackBot) -> None:
    _ask(team_bot, f"meeting acme {MARCH_4} 10:00")
    [meeting] = _meetings(team_bot)
    reply = _ask(team_bot, f"meeting move {meeting.id} {YEAR}-03-11 15:30")
    moved_to = datetime(YEAR, 3, 11, 15, 30, tzinfo=NEW_YORK)
    assert f"moved to {_date_token(moved_to)}" in reply["text"]
    [moved] = _meetings(team_bot)
    assert moved.starts_at == moved_to
    assert moved.digest_due_at is not None and meeting.digest_due_at is not None
    assert moved.digest_due_at - meeting.digest_due_at == timedelta(days=7)
    assert len(_audit(team_bot, "meeting_moved")) == 1

    assert "No scheduled meeting #999" in _ask(team_bot, "meeting cancel 999")["text"]
    assert "is cancelled" in _ask(team_bot, f"meeting cancel #{meeting.id}")["text"]
    assert "No scheduled meeting" in _ask(team_bot, f"meeting move {meeting.id} {MARCH_4}")["text"]


def test_the_move_dialog(team_bot: SlackBot) -> None:
    _ask(team_bot, f"meeting acme {MARCH_4} 10:00")
    [meeting] = _meetings(team_bot)
    listing = _ask(team_bot, "meetings acme")
    list_url = team_bot.slack.response_url()
    team_bot.requests.block_action(
        "meeting_move", str(meeting.id), user_id=AM, message=listing, response_url=list_url
    )
    view = team_bot.slack.wait_for("views.open")[0].params["view"]
    date_element = view["blocks"][1]["element"]
    assert date_element["initial_date"] == MARCH_4
    assert view["blocks"][2]["element"]["initial_time"] == "10:00"

    def submit(day: str, at: str) -> Any:
        values = {
            "meeting_date": {"date": datepicker_value(day)},
            "meeting_time": {"time": {"type": "timepicker", "selected_time": at}},
        }
        return team_bot.requests.view_submission(view, user_id=AM, values=values)

    refused = submit("2020-01-06", "10:00")
    assert refused.json()["errors"]["meeting_date"].startswith("That moment is in the past")
    assert _meetings(team_bot)[0].starts_at == meeting.starts_at

    answered = submit(f"{YEAR}-03-05", "16:00")
    assert answered.status == 200
    moved_to = datetime(YEAR, 3, 5, 16, 0, tzinfo=NEW_YORK)
    answer = answered.json()  # the confirmation replaces the dialog; nothing is sent elsewhere
    assert answer["response_action"] == "update"
    assert f"moved to {_date_token(moved_to)}" in answer["view"]["blocks"][0]["text"]["text"]
    assert_valid_view(answer["view"])
    assert team_bot.slack.responses_to(list_url) == []
    assert _meetings(team_bot)[0].starts_at == moved_to


def test_setting_the_executive_sponsor_clears_the_flag(team_bot: SlackBot) -> None:
    load(team_bot.runtime, [account_row("ACME Corp", exec_sponsor=None)])
    flagged = json.dumps(_ask(team_bot, "account acme")["blocks"])
    assert "Strategic account without an executive sponsor." in flagged

    asked = _ask(team_bot, "sponsor acme @jane")
    assert "picking them from Slack's @ list" in asked["text"]

    reply = _ask(team_bot, "sponsor ACME Corp <@U0NEWSPON|jane>")
    assert reply["text"].startswith("<@U0NEWSPON> is now the executive sponsor of *ACME Corp*")
    with team_bot.runtime.sessions() as session:
        account = session.scalars(select(Account).where(Account.name == "ACME Corp")).one()
        assert account.exec_sponsor == "U0NEWSPON"
    [entry] = _audit(team_bot, "sponsor_set")
    assert (entry.actor, entry.details) == (AM, {"from": None, "to": "U0NEWSPON"})
    assert "without an executive sponsor" not in json.dumps(
        _ask(team_bot, "account acme")["blocks"]
    )
    again = _ask(team_bot, f"sponsor acme <@{SPONSOR}|exec>")
    assert "(was <@U0NEWSPON>)" in again["text"]


@pytest.mark.parametrize(("cadence", "flagged"), [("monthly", True), ("quarterly", False)])
def test_an_account_not_reviewed_within_its_cadence_is_flagged(
    team_bot: SlackBot, cadence: str, flagged: bool
) -> None:
    load(team_bot.runtime, [account_row("ACME Corp", cadence=cadence)])
    with team_bot.runtime.sessions() as session, session.begin():
        account_id = session.scalars(select(Account.id).where(Account.name == "ACME Corp")).one()
        session.add(
            Meeting(
                workspace_id="local",
                account_id=account_id,
                starts_at=datetime.now(UTC) - timedelta(days=40, hours=1),
                status="scheduled",
            )
        )
    text = json.dumps(_ask(team_bot, "account acme")["blocks"])
    assert (f"Last customer review meeting was 40 days ago ({cadence} cadence)." in text) == (
        flagged
    )


def test_a_forwarded_button_refuses_without_naming_the_account(team_bot: SlackBot) -> None:
    _ask(team_bot, f"meeting acme {MARCH_4} 10:00")
    [meeting] = _meetings(team_bot)
    listing = _ask(team_bot, "meetings acme")
    team_bot.slack.add_user(OUTSIDER)
    url = team_bot.slack.response_url()
    expected = len(team_bot.slack.responses) + 1
    team_bot.requests.block_action(
        "meeting_cancel", str(meeting.id), user_id=OUTSIDER, message=listing, response_url=url
    )
    team_bot.slack.wait_for_response_url(count=expected)
    answer = team_bot.slack.responses_to(url)[-1]["text"]
    assert "not on the account team" in answer and "ACME" not in answer
    assert _meetings(team_bot)[0].status == "scheduled"


def test_the_move_dialog_checks_access_again_when_submitted(team_bot: SlackBot) -> None:
    _ask(team_bot, f"meeting acme {MARCH_4} 10:00")
    [meeting] = _meetings(team_bot)
    listing = _ask(team_bot, "meetings acme")
    team_bot.requests.block_action(
        "meeting_move",
        str(meeting.id),
        user_id=AM,
        message=listing,
        response_url=team_bot.slack.response_url(),
    )
    view = team_bot.slack.wait_for("views.open")[0].params["view"]
    team_bot.slack.add_user(OUTSIDER)
    values = {
        "meeting_date": {"date": datepicker_value(f"{YEAR}-03-05")},
        "meeting_time": {"time": {"type": "timepicker", "selected_time": "16:00"}},
    }
    refused = team_bot.requests.view_submission(view, user_id=OUTSIDER, values=values)
    assert "not on the account team" in refused.json()["errors"]["meeting_date"]
    assert _meetings(team_bot)[0].starts_at == meeting.starts_at
