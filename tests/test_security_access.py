"""Nobody gets in where they don't belong (issue 18), through signed requests as Slack sends them.

Each attack is made by someone who should get nothing, and checked the same way (`refused`):
the database is as it was, nothing the bot sent (messages, DMs, modals, response URLs, the HTTP
answer) names an account or a respondent the attacker did not type themselves, the attacker is
told one clear thing, and no traceback is logged. Where the attack needs a real path to work at
all (a reaction, a Home tab), the same request from the rightful team follows as a control.
The world and the probe are in `tests/security_world.py`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from storage.db import transaction
from storage.models import Account, Commitment
from tests.cli import voc, write_csv
from tests.conftest import SIGNING_SECRET, SlackBot
from tests.portfolio import ADMIN, AM, MEMBER, OUTSIDER, SPONSOR, load
from tests.reminders_world import PARIS, reminders_to, tick
from tests.security_world import (
    ACME_CHANNEL,
    BILL,
    EVIL_CHANNEL,
    HAL_AM,
    HALVORSEN_CHANNEL,
    MOVE_VALUES,
    OTHER_TEAM,
    PROMISE,
    RESPONSES,
    SECRETS,
    YEAR,
    accounts,
    ask,
    commit_modal,
    move_dialog,
    posted_promise,
    press,
    refused,
    scheduled_meeting,
    state,
    texts,
    untouched,
    watch,
)
from tests.slack import DEFAULT_CHANNEL_ID, SlackRequests, plain_text_value, users_select_value


@pytest.fixture
def database_url(any_database_url: str) -> str:
    """Every attack runs on SQLite and, when configured, on PostgreSQL: their integers,
    pattern matching and errors differ exactly where forged values land."""
    return any_database_url


@pytest.fixture(autouse=True)
def no_tracebacks(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.INFO)
    yield
    assert [record.getMessage() for record in caplog.records if record.exc_info] == []


@pytest.fixture
def world(make_bot: Callable[..., SlackBot]) -> SlackBot:
    bot = make_bot(admins=frozenset({ADMIN}))
    load(bot.runtime, accounts(), RESPONSES)
    for user in (AM, SPONSOR, MEMBER, OUTSIDER, HAL_AM, BILL, ADMIN):
        bot.slack.add_user(user)
    bot.slack.add_channel(ACME_CHANNEL, name="acct-acme", members=[AM, MEMBER])
    bot.slack.add_channel(HALVORSEN_CHANNEL, name="acct-halvorsen", members=[HAL_AM])
    return bot


# --- access is re-checked on every interaction -------------------------------------------------


def test_taken_off_the_team_an_open_move_dialog_moves_nothing(world: SlackBot) -> None:
    meeting = scheduled_meeting(world)
    view = move_dialog(world, meeting, user=MEMBER)  # on the team through the channel
    world.slack.add_channel(ACME_CHANNEL, name="acct-acme", members=[AM])  # then taken off it
    probe = watch(world)
    reply = world.requests.view_submission(view, user_id=MEMBER, values=MOVE_VALUES)
    assert reply.json()["response_action"] == "errors"
    refused(probe, says="not on the account team", answer=texts(reply.json()))


def test_a_forged_move_dialog_moves_nothing_and_posts_to_no_url_it_names(world: SlackBot) -> None:
    meeting = scheduled_meeting(world)
    view = move_dialog(world, meeting)
    trap = world.slack.response_url()
    forged = {
        **view,
        "private_metadata": json.dumps({"meeting_id": meeting.id, "response_url": trap}),
    }
    probe = watch(world)
    reply = world.requests.view_submission(forged, user_id=OUTSIDER, values=MOVE_VALUES)
    refused(probe, says="not on the account team", answer=texts(reply.json()))

    moved = world.requests.view_submission(forged, user_id=AM, values=MOVE_VALUES)
    assert moved.json()["response_action"] == "update"  # the team's own move is answered there
    assert "moved to" in moved.text
    assert world.slack.responses_to(trap) == []  # and nothing went to the URL it named


@pytest.mark.parametrize("action", ["commitments_add_row", "commitments_remove_row"])
def test_an_outsider_changing_the_commitments_modal_sees_no_respondents(
    world: SlackBot, action: str
) -> None:
    view = commit_modal(world, "acme", AM, ACME_CHANNEL)
    updated = len(world.slack.calls_to("views.update"))
    world.requests.block_action(
        "commitments_add_row", view=view, state_values=untouched(view), user_id=AM
    )
    view = world.slack.wait_for("views.update", count=updated + 1)[-1].response["view"]
    assert "Dana Whitfield" in json.dumps(view)  # the modal offers the feedback it may answer
    probe = watch(world)
    world.requests.block_action(action, view=view, state_values=untouched(view), user_id=OUTSIDER)
    world.slack.wait_for("views.update", count=updated + 2)
    refused(probe, says="not on the account team")


def test_snooze_by_someone_who_lost_access_changes_and_shows_nothing(world: SlackBot) -> None:
    promise = posted_promise(world, owner=MEMBER)
    tick(world.runtime, datetime(YEAR, 1, 13, 10, 0, tzinfo=PARIS))  # due soon: the daily DM
    [reminder] = reminders_to(world.slack, MEMBER)
    assert PROMISE in texts(reminder)
    with transaction(world.runtime.sessions) as session:  # handed over to the sponsor …
        session.get_one(Commitment, promise.id).owner = SPONSOR
    world.slack.add_channel(ACME_CHANNEL, name="acct-acme", members=[AM])  # … and off the team
    for user in (MEMBER, OUTSIDER):  # the DM's own reader, and someone it was forwarded to
        for action in ("reminder_snooze_day", "reminder_snooze_week", "reminder_done"):
            probe = watch(world)
            answer = press(
                world,
                action,
                str(promise.id),
                user,
                message=reminder,
                channel_id=world.slack.dm_channel(MEMBER),
            )
            refused(probe, says="not on the account team", answer=answer)


def test_a_reminder_with_forged_items_is_not_refreshed_with_them(world: SlackBot) -> None:
    promise = posted_promise(world, owner=MEMBER)
    tick(world.runtime, datetime(YEAR, 1, 13, 10, 0, tzinfo=PARIS))
    [reminder] = reminders_to(world.slack, MEMBER)
    with transaction(world.runtime.sessions) as session:  # someone else's promise, elsewhere
        initech = session.scalars(select(Account).where(Account.name == "Initech")).one()
        other = Commitment(
            workspace_id="local",
            account_id=initech.id,
            text="Replace the stapler",
            owner=BILL,
            status="open",
            created_by=BILL,
            created_at=datetime.now(UTC),
        )
        session.add(other)
        session.flush()
        forged_ref = {
            "type": "section",
            "block_id": f"reminder_item:{other.id}:due_soon:-",
            "text": {"type": "mrkdwn", "text": "An item"},
        }
    forged = {**reminder, "blocks": [*reminder["blocks"], forged_ref]}
    probe = watch(world)
    answer = press(
        world,
        "reminder_snooze_day",
        str(promise.id),
        MEMBER,
        message=forged,
        channel_id=world.slack.dm_channel(MEMBER),
    )
    assert "This reminder could not be updated" in answer  # the snooze itself is saved
    assert "stapler" not in probe.sent()  # but the DM was not re-rendered from forged items
    assert [call.method for call in world.slack.calls[probe.calls :]].count("chat.update") == 0


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("account a", 'No account is called "a".'),
        ("account acme corq", 'No account is called "acme corq".'),
        ("meetings a", 'No account is called "a".'),
        ("commit a", 'No account is called "a".'),
    ],
)
def test_lists_and_suggestions_name_no_account_the_requester_may_not_see(
    world: SlackBot, text: str, says: str
) -> None:
    probe = watch(world)
    refused(probe, says=says, answer=ask(world, text, OUTSIDER), typed=text)


def test_the_team_and_admins_are_offered_what_they_may_see(world: SlackBot) -> None:
    assert "Dana Whitfield" in ask(world, "account a", MEMBER)  # their one match: the report
    listed = ask(world, "account a", ADMIN)
    assert 'Several accounts match "a": ACME Corp, Halvorsen Freight. Which one?' in listed
    assert "Did you mean ACME Corp?" in ask(world, "account acme corq", AM)


# --- numbers from outside ----------------------------------------------------------------------

HUGE = ("9223372036854775808", "99999999999999999999", "", "abc", "-1", "0", "1e3")
USAGE = "/voc meeting ACCOUNT DATE [TIME] [#channel]"


@pytest.mark.parametrize(
    "text",
    [
        "meeting cancel 99999999999999999999",
        "meeting cancel 9223372036854775808",
        "meeting move 99999999999999999999 2027-01-05",
        "meeting cancel abc",
    ],
)
def test_a_meeting_number_out_of_range_gets_the_usage(world: SlackBot, text: str) -> None:
    probe = watch(world)
    refused(probe, says=USAGE, answer=ask(world, text, AM))


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("meeting acme 9999-12-31 23:30", "9999-12-31 is more than 10 years ahead"),
        ("meeting acme 0001-01-01 00:10", "That moment is in the past"),
        ("meeting acme 2027-02-30 10:00", '"2027-02-30" is not a calendar date'),
        ("meeting acme 31/12/9999", "could be read as day/month or month/day"),
    ],
)
def test_a_date_no_calendar_can_hold_is_explained(world: SlackBot, text: str, says: str) -> None:
    probe = watch(world)
    answer = ask(world, text, AM)  # the team itself: the answer may name its own account
    assert state(world) == probe.before
    assert says in answer


def test_moving_a_meeting_to_the_year_9999_is_explained(world: SlackBot) -> None:
    meeting = scheduled_meeting(world)
    probe = watch(world)
    answer = ask(world, f"meeting move {meeting.id} 9999-12-31", AM)
    assert state(world) == probe.before
    assert "9999-12-31 is more than 10 years ahead. Pick a nearer date" in answer


@pytest.mark.parametrize("value", HUGE)
@pytest.mark.parametrize(
    ("action", "says"),
    [
        ("meeting_cancel", "no longer scheduled"),
        ("meeting_move", "no longer scheduled"),
        ("commitment_done", "That commitment no longer exists."),
        ("reminder_snooze_day", "That commitment no longer exists."),
        ("reminder_done", "That commitment no longer exists."),
        ("report_show_people", "That account no longer exists."),
        ("report_trend_chart", "That account no longer exists."),
        ("followup_contacted", "That follow-up no longer exists."),
    ],
)
def test_a_button_value_that_is_no_id_says_the_item_is_gone(
    world: SlackBot, action: str, says: str, value: str
) -> None:
    probe = watch(world)
    refused(probe, says=says, answer=press(world, action, value, AM))


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ('{"account_id": 99999999999999999999999}', "That account no longer exists."),
        ('{"account_id": 9223372036854775808, "meeting_id": 1}', "That account no longer exists."),
        ('{"account_id": 1, "meeting_id": "abc"}', "That account no longer exists."),
        ('{"account_id": "abc"}', "That account no longer exists."),
        ("abc", "That button is out of date"),
        ("[]", "That button is out of date"),
    ],
)
def test_a_digest_button_value_that_names_nothing_says_so(
    world: SlackBot, value: str, says: str
) -> None:
    probe = watch(world)
    refused(probe, says=says, answer=press(world, "commitments_open_modal", value, AM))


@pytest.mark.parametrize(
    "metadata",
    [
        {"meeting_id": 99999999999999999999},
        {"meeting_id": "9223372036854775808"},
        {"meeting_id": None},
        [],
        "not json",
    ],
)
def test_a_move_dialog_naming_no_meeting_says_so(world: SlackBot, metadata: Any) -> None:
    view = move_dialog(world, scheduled_meeting(world))
    raw = metadata if isinstance(metadata, str) else json.dumps(metadata)
    probe = watch(world)
    reply = world.requests.view_submission(
        {**view, "private_metadata": raw}, user_id=AM, values=MOVE_VALUES
    )
    refused(probe, says="cancelled meanwhile", answer=texts(reply.json()))


@pytest.mark.parametrize(
    "metadata",
    [
        {"account_id": 99999999999999999999999, "rows": [0], "next_row": 1},
        {"account_id": 1, "meeting_id": 9223372036854775808, "rows": [0], "next_row": 1},
        {"account_id": 1, "rows": ["x"], "next_row": 1},
    ],
)
def test_a_commitments_modal_naming_nothing_changes_into_a_notice(
    world: SlackBot, metadata: dict[str, Any]
) -> None:
    view = commit_modal(world, "acme", AM, ACME_CHANNEL)
    forged = {**view, "private_metadata": json.dumps(metadata)}
    updated = len(world.slack.calls_to("views.update"))
    probe = watch(world)
    world.requests.block_action(
        "commitments_add_row", view=forged, state_values=untouched(view), user_id=AM
    )
    world.slack.wait_for("views.update", count=updated + 1)
    refused(probe, says="That account no longer exists")
    submitted = world.requests.view_submission(forged, user_id=AM, values=untouched(view))
    assert "That account no longer exists" in texts(submitted.json())
    assert state(world) == probe.before


# --- a channel name is not an identity ---------------------------------------------------------

ROSTER_HEADER = "account,segment,tier,account_manager,exec_sponsor,team,channel"


def _import_roster(
    bot: SlackBot, tmp_path: Path, database_url: str, acme: str = "#acct-acme", slack: bool = True
) -> str:
    roster = write_csv(
        tmp_path / "roster.csv",
        ROSTER_HEADER,
        f"ACME Corp,Enterprise,strategic,{AM},{SPONSOR},,{acme}",
        f"Initech,Enterprise,standard,{BILL},,,#initech-team",
    )
    token = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": bot.slack.api_url} if slack else {}
    ran = voc("import", "accounts", str(roster), cwd=tmp_path, DATABASE_URL=database_url, **token)
    assert ran.code == 0, ran.err
    return ran.out


def _channel_ids(bot: SlackBot) -> dict[str, str | None]:
    with bot.runtime.sessions() as session:
        rows = session.execute(select(Account.name, Account.channel_id)).all()
    return {name: channel_id for name, channel_id in rows}


def test_a_channel_someone_names_after_the_roster_grants_and_receives_nothing(
    world: SlackBot, tmp_path: Path, database_url: str
) -> None:
    out = _import_roster(world, tmp_path, database_url)
    assert (
        "Channels not found in Slack, so their members are not the team and nothing is posted "
        "there: #initech-team"
    ) in out
    assert _channel_ids(world)["ACME Corp"] == ACME_CHANNEL  # `#acct-acme` resolved to its ID
    assert "Dana Whitfield" in ask(world, "account acme", MEMBER)  # so its members are the team

    world.slack.add_channel(EVIL_CHANNEL, name="initech-team", members=[OUTSIDER])
    for text in ("account initech", "digest initech", "open initech", "commit initech"):
        probe = watch(world)
        answer = ask(world, text, OUTSIDER, channel=EVIL_CHANNEL)
        refused(probe, says="not on the account team", answer=answer, typed=text)

    view = commit_modal(world, "initech", BILL, DEFAULT_CHANNEL_ID)  # its manager logs one
    typed = {"c0_text": plain_text_value(PROMISE), "c0_owner": users_select_value(BILL)}
    posted = len(world.slack.calls_to("chat.postMessage"))
    reply = world.requests.view_submission(view, user_id=BILL, values=untouched(view, **typed))
    assert reply.status == 200 and reply.body == b""
    world.slack.wait_for("chat.postMessage", count=posted + 1)
    assert PROMISE in str(world.slack.messages_in(DEFAULT_CHANNEL_ID))  # where it was logged
    assert "is in <#C0VOCCHAN>" in ask(world, "digest initech", BILL)
    assert world.slack.messages_in(EVIL_CHANNEL) == []
    assert _channel_ids(world)["Initech"] is None


def test_a_changed_channel_counts_only_once_resolved_again(
    world: SlackBot, tmp_path: Path, database_url: str
) -> None:
    _import_roster(world, tmp_path, database_url)
    assert "Dana Whitfield" in ask(world, "account acme", MEMBER)
    out = _import_roster(world, tmp_path, database_url, acme="#acct-acme-2026", slack=False)
    assert (
        "Channels not checked in Slack yet, so their members are not the team and nothing is "
        "posted there: #acct-acme-2026, #initech-team"
    ) in out
    assert _channel_ids(world)["ACME Corp"] is None  # the old ID no longer counts
    probe = watch(world)
    answer = ask(world, "account acme", MEMBER)
    refused(probe, says="not on the account team", answer=answer, typed="ACME Corp")


def test_only_an_admin_binds_a_channel_name_in_slack(world: SlackBot) -> None:
    world.slack.add_channel("C0INITECH", name="initech-team", members=[MEMBER])
    probe = watch(world)
    refused(
        probe,
        says="not on the account team",
        answer=ask(world, "account initech", MEMBER),
        typed="initech",
    )
    assert "Milton Waddams" in ask(world, "account initech", BILL)  # the named team reads it …
    assert _channel_ids(world)["Initech"] is None  # … without vouching for a channel

    assert "Milton Waddams" in ask(world, "account initech", ADMIN)
    assert _channel_ids(world)["Initech"] == "C0INITECH"
    assert "Milton Waddams" in ask(world, "account initech", MEMBER)  # now its members count


# --- each workspace sees only its own data -----------------------------------------------------


def _elsewhere(bot: SlackBot) -> SlackRequests:
    """The same app, signed alike, sending from a team this install does not serve."""
    return SlackRequests(bot.base_url, SIGNING_SECRET, slack=bot.slack, team_id=OTHER_TEAM)


def _reaction(promise: Commitment, user: str) -> dict[str, Any]:
    item = {"type": "message", "channel": ACME_CHANNEL, "ts": promise.message_ts}
    return {"type": "reaction_added", "user": user, "reaction": "white_check_mark", "item": item}


def _ignored(caplog: pytest.LogCaptureFixture) -> int:
    return sum(f"from team {OTHER_TEAM}" in r.getMessage() for r in caplog.records)


def test_a_reaction_from_another_workspace_completes_nothing(
    world: SlackBot, caplog: pytest.LogCaptureFixture
) -> None:
    promise = posted_promise(world, owner=MEMBER)
    probe = watch(world)
    assert _elsewhere(world).event(_reaction(promise, AM)).status == 200
    assert _ignored(caplog) == 1
    assert state(world) == probe.before and probe.sent() == "\n"

    updated = len(world.slack.calls_to("chat.update"))
    world.requests.event(_reaction(promise, AM))  # the control: from this workspace it works
    world.slack.wait_for("chat.update", count=updated + 1)
    with world.runtime.sessions() as session:
        assert session.get_one(Commitment, promise.id).status == "done"


def test_a_home_tab_opened_in_another_workspace_shows_nothing(
    world: SlackBot, caplog: pytest.LogCaptureFixture
) -> None:
    opened = {"type": "app_home_opened", "user": AM, "tab": "home"}
    probe = watch(world)
    assert _elsewhere(world).event(opened).status == 200
    assert _ignored(caplog) == 1
    assert world.slack.calls_to("views.publish") == [] and probe.sent() == "\n"

    world.requests.event(opened)  # the control
    [published] = world.slack.wait_for("views.publish")
    assert "ACME Corp" in texts(published.params)


def test_commands_buttons_and_dialogs_from_another_workspace_do_nothing(
    world: SlackBot, caplog: pytest.LogCaptureFixture
) -> None:
    meeting = scheduled_meeting(world)
    view = move_dialog(world, meeting)
    other = _elsewhere(world)
    probe = watch(world)
    replies = [
        other.slash_command("account acme", user_id=AM),
        other.slash_command(f"meeting cancel {meeting.id}", user_id=AM),
        other.block_action("meeting_cancel", str(meeting.id), user_id=AM),
        other.view_submission(
            {**view, "team_id": OTHER_TEAM, "app_installed_team_id": OTHER_TEAM},
            user_id=AM,
            values=MOVE_VALUES,
        ),
    ]
    assert [reply.status for reply in replies] == [200] * 4
    assert [reply.body for reply in replies] == [b""] * 4
    assert _ignored(caplog) == 4
    assert state(world) == probe.before and probe.sent() == "\n"


def test_a_workspace_without_an_installation_changes_nothing(
    make_bot: Callable[..., SlackBot],
) -> None:
    bot = make_bot(slack_bot_token=None, slack_client_id="111.222", slack_client_secret="s3cret")
    load(bot.runtime, accounts(), RESPONSES, workspace_id=OTHER_TEAM)  # data, but no install
    with transaction(bot.runtime.sessions) as session:
        account = session.scalars(select(Account).where(Account.name == "ACME Corp")).one()
        session.add(
            Commitment(
                workspace_id=OTHER_TEAM,
                account_id=account.id,
                text=PROMISE,
                owner=AM,
                status="open",
                created_by=AM,
                created_at=datetime.now(UTC),
                channel=ACME_CHANNEL,
                message_ts="1700000000.000100",
            )
        )
    promise = Commitment(channel=ACME_CHANNEL, message_ts="1700000000.000100")
    probe = watch(bot)
    other = _elsewhere(bot)
    assert other.event(_reaction(promise, AM)).status == 200
    assert other.event({"type": "app_home_opened", "user": AM, "tab": "home"}).status == 200
    assert state(bot) == probe.before
    assert SECRETS[0] not in probe.sent() and bot.slack.calls_to("views.publish") == []
