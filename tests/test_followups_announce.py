"""The channel announcement after `voc import responses`, and the controls under each person.

The imports run the real `voc` in a child process against the bot's own database, with the
fake Slack as its Web API; the presses and dialogs are signed requests through the real Bolt
path. ACME Corp's channel is C0ACME001 (AM and MEMBER in it); OUTSIDER is on no team.

By hand, from the files below: in 2026-Q3 Ann Lee and Bo Chen (a decision maker) answer 9/9/9,
so the NPS is +100. In 2026-Q4 Ann answers 9/10/9 and "Cy" 4/3/3: two respondents, mean
satisfaction (9 + 4) / 2 = 6.5, one promoter and one detractor, NPS 0, which is 100 points
down. Cy is dissatisfied (4 ≤ 6), a detractor (3 ≤ 6) and high risk; Bo answered Q3 and not
Q4, so he is a silent decision maker. Ann gives no reason. Two follow-ups, both owned by AM.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.cli import main as voc_main
from storage.models import AuditEntry, Commitment
from tests.cli import Ran, clean_env, voc, write_csv
from tests.conftest import SlackBot
from tests.portfolio import AM, MEMBER, OUTSIDER, SPONSOR
from tests.slack.blockkit import assert_valid_message, assert_valid_view

CHANNEL = "C0ACME001"
HOSTILE_NAME = "Cy <!channel> <@U123> & Co"
HOSTILE_COMMENT = "<!channel> <@U123> & call me back"
ROSTER_HEADER = "account,segment,tier,account_manager,exec_sponsor,team,channel"
ROSTER_ROW = f"ACME Corp,Enterprise,strategic,{AM},{SPONSOR},{MEMBER},{CHANNEL}"
HEADER = "account,cycle,respondent,email,role,satisfaction,recommend,continue,comment"
Q3 = [
    "ACME Corp,2026-Q3,Ann Lee,ann@acme.example,decision_maker,9,9,9,",
    "ACME Corp,2026-Q3,Bo Chen,bo@acme.example,decision_maker,9,9,9,",
]
Q4 = [
    "ACME Corp,2026-Q4,Ann Lee,ann@acme.example,decision_maker,9,10,9,Fine",
    f'ACME Corp,2026-Q4,"{HOSTILE_NAME}",cy@acme.example,user,4,3,3,"{HOSTILE_COMMENT}"',
]
DI = "ACME Corp,2026-Q4,Di Eve,di@acme.example,user,5,9,9,Slow support"


# --- the world: a roster, Q3 as history, then Q4 imported by the person at the terminal ------


class World:
    """The bot's database and fake Slack, and `voc` run against them.

    `voc` runs in a child process where the import itself is under test; elsewhere (setting
    up, reading the follow-ups back) the same entry point runs in this process, which is the
    same code without the cost of starting Python again.
    """

    def __init__(
        self,
        bot: SlackBot,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        self.bot = bot
        self.slack = bot.slack
        self.tmp_path = tmp_path
        self.capsys = capsys
        self.env = clean_env(
            DATABASE_URL=bot.runtime.engine.url.render_as_string(hide_password=False),
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_API_URL=self.slack.api_url,
        )
        self.monkeypatch = monkeypatch
        monkeypatch.chdir(tmp_path)
        for user in (AM, MEMBER, SPONSOR, OUTSIDER):
            self.slack.add_user(user)
        self.slack.add_channel(CHANNEL, name="acct-acme", members=[AM, MEMBER])
        roster = write_csv(tmp_path / "roster.csv", ROSTER_HEADER, ROSTER_ROW)
        assert self.voc("import", "accounts", str(roster)).code == 0
        q3 = write_csv(tmp_path / "q3.csv", HEADER, *Q3)
        history = self.voc("import", "responses", str(q3))
        assert history.code == 0 and "Announced" not in history.out  # nobody to call back

    def voc(self, *argv: str, process: bool = False, **variables: str) -> Ran:
        environment = {**self.env, **variables}
        if process:
            return voc(*argv, cwd=self.tmp_path, env=environment)
        with self.monkeypatch.context() as patch:
            for name in [n for n in os.environ if n.startswith(("SLACK_", "VOC_"))]:
                patch.delenv(name)
            for name, value in environment.items():
                patch.setenv(name, value)
            self.capsys.readouterr()
            code = voc_main(list(argv))
            out, err = self.capsys.readouterr()
        return Ran(code, out, err)

    def import_rows(self, name: str, *rows: str, process: bool = False, **variables: str) -> Ran:
        path = write_csv(self.tmp_path / name, HEADER, *rows)
        ran = self.voc("import", "responses", str(path), process=process, **variables)
        assert ran.code == 0, ran.err
        return ran

    def messages(self) -> list[dict[str, Any]]:
        """The follow-ups announcements in the channel (Bo Chen, a Q3 decision maker silent in
        Q4, is also announced there as a champion change: tests/test_champion_news.py)."""
        return [
            m
            for m in self.slack.messages_in(CHANNEL)
            if "thread_ts" not in m
            and (m.get("metadata") or {}).get("event_type") != "voc_champion_change"
        ]

    def current(self, message: dict[str, Any]) -> dict[str, Any]:
        found = self.slack.message(CHANNEL, message["ts"])
        assert found is not None
        return found

    def followups(self, status: str = "all") -> dict[str, dict[str, Any]]:
        ran = self.voc("followups", "--status", status, "--json")
        assert ran.code == 0, ran.err
        return {item["respondent"]: item for item in json.loads(ran.out)}


@pytest.fixture
def world(
    bot: SlackBot,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> World:
    return World(bot, tmp_path, monkeypatch, capsys)


@pytest.fixture
def announced(world: World) -> dict[str, Any]:
    """Q4 imported from the terminal: the one message it posted in the account channel."""
    ran = world.import_rows("q4.csv", *Q4, process=True)
    assert f"Announced in {CHANNEL}: ACME Corp" in ran.out
    [message] = world.messages()
    return message


def _text_of(payload: dict[str, Any]) -> str:
    return (
        payload.get("text", "") + "\n" + json.dumps(payload.get("blocks") or [], ensure_ascii=False)
    )


def _person_block(message: dict[str, Any], name: str) -> str:
    [text] = [
        b["text"]["text"]
        for b in message["blocks"]
        if b["type"] == "section" and b["text"]["text"].startswith(f"*{name}*")
    ]
    return text


def _press(world: World, action_id: str, user: str, message: dict[str, Any], person: str) -> str:
    """Press a person's control in the channel message; returns the button's follow-up id."""
    value = str(world.followups()[person]["id"])
    reply = world.bot.requests.block_action(
        action_id,
        value,
        user_id=user,
        message=message,
        channel_id=CHANNEL,
        block_id=f"announced_{value}",
    )
    assert reply.status == 200
    return value


def _wait(world: World, method: str, seen: int) -> list[Any]:
    return world.slack.wait_for(method, count=seen + 1)


def _opened(world: World, seen: int) -> dict[str, Any]:
    """The dialog the bot opened, checked as Block Kit, as Slack hands it back."""
    call = _wait(world, "views.open", seen)[-1]
    assert_valid_view(call.params["view"])
    return call.response["view"]


# --- the message -------------------------------------------------------------------------


def test_the_import_posts_one_message_with_the_headline_and_each_person(
    world: World, announced: dict[str, Any]
) -> None:
    assert_valid_message(announced)
    text = _text_of(announced)
    assert "2 respondents · satisfaction 6.5/10 · NPS 0 (▼ -100 vs 2026-Q3)" in text
    assert "*2 people to get back to*" in text
    cy = _person_block(announced, "Cy &lt;!channel&gt; &lt;@U123&gt; &amp; Co")
    assert "(user) · dissatisfied, detractor, high risk" in cy
    assert "Satisfaction 4/10 · recommend 3/10" in cy
    assert f"Owner <@{AM}>" in cy
    assert ">&lt;!channel&gt; &lt;@U123&gt; &amp; call me back" in cy
    bo = _person_block(announced, "Bo Chen")
    assert "(decision maker) · decision maker gone silent" in bo
    assert "Ann Lee" not in text  # no reason to call her back
    # Customer text never turns into markup: not in the blocks, not in the fallback text.
    assert "<!channel>" not in text and "<@U123>" not in text and "& Co" not in text
    assert announced["text"] == "ACME Corp: 2 people to get back to after cycle 2026-Q4"
    buttons = [
        e["text"]["text"]
        for b in announced["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    assert buttons == ["I'll take it", "Contacted…", "Log commitment", "Not needed…"] * 2


def test_a_reimport_of_the_same_file_posts_nothing_more(
    world: World, announced: dict[str, Any]
) -> None:
    again = world.import_rows("q4-again.csv", *Q4, process=True)
    assert "Announced" not in again.out and "Follow-ups opened" not in again.out
    assert world.messages() == [announced]
    ticked = world.voc("tick", process=True)
    assert ticked.code == 0 and "followups:" not in ticked.out
    assert len(world.messages()) == 1


def test_a_later_import_that_opens_someone_new_announces_only_them(
    world: World, announced: dict[str, Any]
) -> None:
    ran = world.import_rows("q4-more.csv", *Q4, DI, process=True)
    assert "Follow-ups opened: 1" in ran.out and f"Announced in {CHANNEL}" in ran.out
    first, second = world.messages()
    assert first == announced
    text = _text_of(second)
    assert "*1 person to get back to*" in text and "*Di Eve* (user) · dissatisfied" in text
    assert "3 respondents" in text  # (9 + 4 + 5) / 3 = 6.0
    assert "satisfaction 6.0/10" in text
    assert "Cy" not in text and "Bo Chen" not in text
    assert_valid_message(second)


def test_an_import_that_opens_nothing_posts_nothing_unless_headlines_are_wanted(
    world: World, tmp_path: Path
) -> None:
    happy = "ACME Corp,2026-Q4,Ann Lee,ann@acme.example,decision_maker,9,10,9,"
    bo = "ACME Corp,2026-Q4,Bo Chen,bo@acme.example,decision_maker,9,10,9,"
    quiet = world.import_rows("q4-happy.csv", happy, bo)
    assert "Announced" not in quiet.out and world.messages() == []

    loud = world.import_rows("q4-happy-2.csv", happy, bo, VOC_ANNOUNCE_HEADLINES="true")
    assert f"Announced in {CHANNEL}" in loud.out
    [message] = world.messages()
    assert_valid_message(message)
    # 9 and 9: mean 9.0; both recommend 10, NPS +100, no change from Q3's +100.
    assert "2 respondents · satisfaction 9.0/10 · NPS +100 (no change vs 2026-Q3)" in _text_of(
        message
    )
    assert "to get back to" not in _text_of(message)
    # A cycle's headline is news once: the same file again says and posts nothing.
    again = world.import_rows("q4-happy-3.csv", happy, bo, VOC_ANNOUNCE_HEADLINES="true")
    assert "Announced" not in again.out and "Not announced" not in again.out + again.err
    assert world.messages() == [message]


def test_without_a_token_the_announcement_waits_for_the_scheduler(world: World) -> None:
    ran = world.import_rows("q4.csv", *Q4, process=True, SLACK_BOT_TOKEN="")
    assert "Not announced yet: no Slack token. 1 account channel will hear of it" in ran.out
    assert world.messages() == []
    ticked = world.voc("tick", process=True)
    assert ticked.code == 0, ticked.err
    [message] = world.messages()
    assert "*2 people to get back to*" in _text_of(message)
    world.voc("tick")
    assert len(world.messages()) == 1


@pytest.mark.parametrize("status", [500, 429])
def test_a_busy_slack_at_import_is_retried_by_the_tick_and_posts_once(
    world: World, status: int
) -> None:
    world.slack.fail_next("chat.postMessage", status=status, retry_after=0)
    ran = world.import_rows("q4.csv", *Q4, process=True)
    assert f"Not announced in {CHANNEL}" in ran.err and "next tick" in ran.err
    assert world.messages() == []
    ticked = world.voc("tick", process=True)
    assert ticked.code == 0 and "sent: follow-ups announcement" in ticked.out
    assert len(world.messages()) == 1
    again = world.voc("tick")
    assert "follow-ups announcement" not in again.out
    assert len(world.messages()) == 1


def test_beyond_ten_people_the_rest_are_listed_in_a_line_each(world: World) -> None:
    rows = [
        f"ACME Corp,2026-Q4,Person {n:02d},p{n}@acme.example,user,3,3,3,Bad" for n in range(1, 15)
    ]
    world.import_rows("q4-many.csv", *rows)
    [message] = world.messages()
    assert_valid_message(message)
    assert len(message["blocks"]) <= 50
    text = _text_of(message)
    # Fourteen unhappy, and Ann and Bo (decision makers in Q3) gone silent.
    assert "*16 people to get back to*" in text
    assert sum(b["type"] == "actions" for b in message["blocks"]) == 10
    assert "6 more: `/voc followups ACME Corp` lists everyone, with buttons." in text


# --- the controls ------------------------------------------------------------------------


def test_ill_take_it_makes_the_presser_the_owner_and_the_channel_sees_it(
    world: World, announced: dict[str, Any]
) -> None:
    seen = len(world.slack.calls_to("chat.update"))
    _press(world, "followup_take", MEMBER, announced, "Bo Chen")
    _wait(world, "chat.update", seen)
    assert world.followups()["Bo Chen"]["owner"] == MEMBER
    updated = world.current(announced)
    assert_valid_message(updated)
    bo = _person_block(updated, "Bo Chen")
    assert f"Owner <@{MEMBER}>" in bo and f":raising_hand: <@{MEMBER}> took it" in bo
    with world.bot.runtime.sessions() as session:
        taken = session.execute(
            select(AuditEntry.actor, AuditEntry.details).where(
                AuditEntry.action == "followup_taken"
            )
        ).one()
    assert taken.actor == MEMBER and taken.details == {"from": AM, "to": MEMBER}


def test_contacted_asks_how_and_records_the_method_and_note(
    world: World, announced: dict[str, Any]
) -> None:
    seen = len(world.slack.calls_to("views.open"))
    _press(world, "followup_contact", AM, announced, "Bo Chen")
    view = _opened(world, seen)
    method = {
        "followup_method": {
            "method": {
                "type": "radio_buttons",
                "selected_option": {
                    "text": {"type": "plain_text", "text": "Meeting"},
                    "value": "meeting",
                },
            }
        },
        "followup_note": {"note": {"type": "plain_text_input", "value": "Lunch <b>& coffee"}},
    }
    seen = len(world.slack.calls_to("chat.update"))
    reply = world.bot.requests.view_submission(view, user_id=AM, values=method)
    assert reply.status == 200 and reply.body == b""
    _wait(world, "chat.update", seen)
    bo = world.followups()["Bo Chen"]
    assert (bo["status"], bo["contact_method"], bo["note"]) == (
        "contacted",
        "meeting",
        "Lunch <b>& coffee",
    )
    updated = world.current(announced)
    line = _person_block(updated, "Bo Chen")
    assert (
        f":white_check_mark: Contacted by <@{AM}> by a meeting: Lunch &lt;b&gt;&amp; coffee" in line
    )
    buttons = [
        e["action_id"]
        for b in updated["blocks"]
        if b.get("block_id") == f"announced_{bo['id']}"
        for e in b["elements"]
    ]
    assert buttons == ["followup_log_commitment"]  # nobody presses Contacted twice


def test_contacted_without_a_method_is_sent_back_to_the_field(
    world: World, announced: dict[str, Any]
) -> None:
    seen = len(world.slack.calls_to("views.open"))
    _press(world, "followup_contact", AM, announced, "Bo Chen")
    view = _opened(world, seen)
    reply = world.bot.requests.view_submission(view, user_id=AM, values={})
    assert reply.json() == {
        "response_action": "errors",
        "errors": {"followup_method": "Pick how the contact was made."},
    }
    assert world.followups()["Bo Chen"]["status"] == "open"


def test_not_needed_requires_a_reason_and_then_shows_it(
    world: World, announced: dict[str, Any]
) -> None:
    seen = len(world.slack.calls_to("views.open"))
    _press(world, "followup_not_needed", AM, announced, "Bo Chen")
    view = _opened(world, seen)
    blank = {"followup_reason": {"reason": {"type": "plain_text_input", "value": "   "}}}
    refused = world.bot.requests.view_submission(view, user_id=AM, values=blank)
    assert refused.json()["errors"] == {
        "followup_reason": "Say why no contact is needed: the team reads it later."
    }
    assert world.followups()["Bo Chen"]["status"] == "open"

    why = {"followup_reason": {"reason": {"type": "plain_text_input", "value": "Left the company"}}}
    seen = len(world.slack.calls_to("chat.update"))
    assert world.bot.requests.view_submission(view, user_id=AM, values=why).body == b""
    _wait(world, "chat.update", seen)
    bo = world.followups()["Bo Chen"]
    assert (bo["status"], bo["note"]) == ("not_needed", "Left the company")
    line = _person_block(world.current(announced), "Bo Chen")
    assert f":no_entry_sign: Not needed by <@{AM}>: Left the company" in line


BAD_METADATA = [
    "",
    "not json",
    "[1]",
    '{"followup_id": "abc"}',
    '{"followup_id": -1}',
    '{"followup_id": 99999999999999999999}',
    '{"followup_id": 1e400}',
]


def test_a_dialog_naming_no_real_follow_up_says_so(world: World, announced: dict[str, Any]) -> None:
    seen = len(world.slack.calls_to("views.open"))
    _press(world, "followup_not_needed", AM, announced, "Bo Chen")
    opened = _opened(world, seen)
    why = {"followup_reason": {"reason": {"type": "plain_text_input", "value": "Left"}}}
    for metadata in BAD_METADATA:
        view = {**opened, "private_metadata": metadata}
        reply = world.bot.requests.view_submission(view, user_id=AM, values=why)
        answer = reply.json()
        assert answer["response_action"] == "update", metadata
        assert "That follow-up no longer exists." in json.dumps(answer["view"]), metadata
    assert world.followups()["Bo Chen"]["status"] == "open"


def test_log_commitment_opens_the_modal_for_the_person_and_links_what_is_saved(
    world: World, announced: dict[str, Any]
) -> None:
    seen = len(world.slack.calls_to("views.open"))
    followup_id = _press(world, "followup_log_commitment", MEMBER, announced, HOSTILE_NAME)
    view = _opened(world, seen)
    shown = json.dumps(view["blocks"], ensure_ascii=False)
    assert "Commitments to *ACME Corp*" in shown
    assert "For the follow-up with Cy &lt;!channel&gt; &lt;@U123&gt; &amp; Co." in shown
    answers = next(b for b in view["blocks"] if b.get("label", {}).get("text") == "Answers")
    picked = answers["element"]["initial_option"]
    assert picked["text"]["text"].startswith("Cy") and picked["value"].startswith("response:")
    values = _commitment_state(view, "Call Cy back with the fix plan", MEMBER)
    posted = len(world.slack.calls_to("chat.postMessage"))
    reply = world.bot.requests.view_submission(view, user_id=MEMBER, values=values)
    assert reply.status == 200 and reply.body == b""
    world.slack.wait_for("chat.postMessage", count=posted + 1)
    [commitment] = _commitments(world)
    assert commitment.followup_id == int(followup_id)
    assert commitment.text == "Call Cy back with the fix plan"
    # A commitment is not a contact: the follow-up waits for its first contact still.
    assert world.followups()[HOSTILE_NAME]["status"] == "open"


# --- outsiders -----------------------------------------------------------------------------


CONTROLS = ["followup_take", "followup_contact", "followup_log_commitment", "followup_not_needed"]


def test_an_outsiders_press_changes_nothing_and_is_told_privately(
    world: World, announced: dict[str, Any]
) -> None:
    value = str(world.followups()["Bo Chen"]["id"])
    for action_id in CONTROLS:
        url = world.slack.response_url()
        expected = len(world.slack.responses) + 1
        world.bot.requests.block_action(
            action_id,
            value,
            user_id=OUTSIDER,
            message=announced,
            channel_id=CHANNEL,
            response_url=url,
        )
        world.slack.wait_for_response_url(count=expected)
        [answer] = world.slack.responses_to(url)
        assert answer["response_type"] == "ephemeral", action_id
        assert answer["replace_original"] is False
        assert "not on the account team" in answer["text"] and "ACME" not in answer["text"]
    assert world.slack.calls_to("views.open") == []
    assert world.slack.calls_to("chat.update") == []
    bo = world.followups()["Bo Chen"]
    assert (bo["status"], bo["owner"]) == ("open", AM)
    assert world.current(announced)["blocks"] == announced["blocks"]


def test_an_outsiders_dialog_submission_saves_nothing(
    world: World, announced: dict[str, Any]
) -> None:
    seen = len(world.slack.calls_to("views.open"))
    _press(world, "followup_not_needed", AM, announced, "Bo Chen")
    view = _opened(world, seen)
    why = {"followup_reason": {"reason": {"type": "plain_text_input", "value": "Nah"}}}
    reply = world.bot.requests.view_submission(view, user_id=OUTSIDER, values=why)
    shown = json.dumps(reply.json())
    assert "not on the account team" in shown and "ACME" not in shown
    assert world.followups()["Bo Chen"]["status"] == "open"


# --- closing by commitments ------------------------------------------------------------------


def _commitments(world: World) -> list[Commitment]:
    with world.bot.runtime.sessions() as session:
        return list(session.scalars(select(Commitment).order_by(Commitment.id)))


def _commitment_state(view: dict[str, Any], text: str, owner: str) -> dict[str, Any]:
    """The commitments modal's state as Slack sends it: as prefilled, with text and owner typed."""
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        label = block["label"]["text"]
        kind = element["type"]
        if label == "What was promised":
            state = {"type": "plain_text_input", "value": text}
        elif kind == "users_select":
            state = {"type": "users_select", "selected_user": owner}
        elif kind == "datepicker":
            state = {"type": "datepicker", "selected_date": element.get("initial_date")}
        elif kind == "static_select":
            state = {"type": "static_select", "selected_option": element.get("initial_option")}
        elif kind == "checkboxes":
            state = {"type": "checkboxes", "selected_options": []}
        else:
            state = {"type": kind, "value": element.get("initial_value")}
        values[block["block_id"]] = {element["action_id"]: state}
    return values


def _log_for(world: World, announced: dict[str, Any], person: str, text: str) -> dict[str, Any]:
    """Log a commitment from the person's control; returns its own channel message."""
    seen = len(world.slack.calls_to("views.open"))
    _press(world, "followup_log_commitment", MEMBER, announced, person)
    view = _opened(world, seen)
    before = len(world.messages())
    posted = len(world.slack.calls_to("chat.postMessage"))
    values = _commitment_state(view, text, MEMBER)
    assert world.bot.requests.view_submission(view, user_id=MEMBER, values=values).body == b""
    world.slack.wait_for("chat.postMessage", count=posted + 1)
    [message] = world.messages()[before:]
    return message


def _react_done(world: World, user: str, message: dict[str, Any]) -> None:
    world.slack.set_handler(
        "reactions.get",
        lambda params: {
            "ok": True,
            "type": "message",
            "channel": CHANNEL,
            "message": {
                "type": "message",
                "ts": params.get("timestamp"),
                "reactions": [{"name": "white_check_mark", "users": [user], "count": 1}],
            },
        },
    )
    seen = len(world.slack.calls_to("chat.update"))
    event = {
        "type": "reaction_added",
        "user": user,
        "reaction": "white_check_mark",
        "item": {"type": "message", "channel": CHANNEL, "ts": message["ts"]},
        "item_user": "UBOT",
    }
    assert world.bot.requests.event(event).status == 200
    # The commitment's own message, then the announcement of the follow-up it answers.
    world.slack.wait_for("chat.update", count=seen + 2)


def test_the_follow_up_closes_when_its_last_commitment_is_done_by_reaction(
    world: World, announced: dict[str, Any]
) -> None:
    first = _log_for(world, announced, "Bo Chen", "Send Bo the roadmap")
    second = _log_for(world, announced, "Bo Chen", "Invite Bo to the review")
    _react_done(world, MEMBER, first)
    assert world.followups()["Bo Chen"]["status"] == "open"  # one still open
    _react_done(world, MEMBER, second)
    bo = world.followups()["Bo Chen"]
    assert bo["status"] == "closed" and bo["closed_at"] is not None
    line = _person_block(world.current(announced), "Bo Chen")
    assert f":white_check_mark: Closed by <@{MEMBER}>" in line
    assert not [
        b
        for b in world.current(announced)["blocks"]
        if b.get("block_id") == f"announced_{bo['id']}"
    ]
    with world.bot.runtime.sessions() as session:
        closed = session.execute(
            select(AuditEntry.actor).where(AuditEntry.action == "followup_closed")
        ).scalar_one()
    assert closed == MEMBER


def test_the_follow_up_closes_when_its_last_commitment_is_done_with_voc_done(
    world: World, announced: dict[str, Any]
) -> None:
    _log_for(world, announced, HOSTILE_NAME, "Fix the export bug")
    [commitment] = _commitments(world)
    done = world.voc("done", str(commitment.id), "--by", AM)
    assert done.code == 0, done.err
    assert world.followups()[HOSTILE_NAME]["status"] == "closed"
    # Reopening the promise leaves the loop closed: someone decided it was answered.
    assert world.voc("reopen", str(commitment.id), "--by", AM).code == 0
    assert world.followups()[HOSTILE_NAME]["status"] == "closed"
    # The message from before still has Cy's buttons; a press there reopens nothing.
    url = world.slack.response_url()
    opened = len(world.slack.calls_to("views.open"))
    value = str(world.followups()[HOSTILE_NAME]["id"])
    expected = len(world.slack.responses) + 1
    world.bot.requests.block_action(
        "followup_contact", value, user_id=AM, message=announced, channel_id=CHANNEL,
        response_url=url,
    )  # fmt: skip
    world.slack.wait_for_response_url(count=expected)
    [answer] = world.slack.responses_to(url)
    assert "is already closed" in answer["text"] and "&lt;!channel&gt;" in answer["text"]
    assert len(world.slack.calls_to("views.open")) == opened
    assert world.followups()[HOSTILE_NAME]["status"] == "closed"


# --- on either database ----------------------------------------------------------------------


def test_the_announcement_is_owed_and_posted_once_on_either_database(
    any_runtime: Any, slack: Any, tmp_path: Path
) -> None:
    """The ledger rows an import owes and the moment that finds its people, on PostgreSQL too."""
    env = clean_env(
        DATABASE_URL=any_runtime.engine.url.render_as_string(hide_password=False),
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_API_URL=slack.api_url,
    )
    slack.add_channel(CHANNEL, name="acct-acme", members=[AM])
    roster = write_csv(tmp_path / "roster.csv", ROSTER_HEADER, ROSTER_ROW)
    q3 = write_csv(tmp_path / "q3.csv", HEADER, *Q3)
    q4 = write_csv(tmp_path / "q4.csv", HEADER, *Q4)
    for path in (roster, q3):
        kind = "accounts" if path == roster else "responses"
        assert voc("import", kind, str(path), cwd=tmp_path, env=env).code == 0
    first = voc("import", "responses", str(q4), cwd=tmp_path, env=env)
    assert f"Announced in {CHANNEL}: ACME Corp" in first.out, first.err
    again = voc("import", "responses", str(q4), cwd=tmp_path, env=env)
    assert "Announced" not in again.out
    ticked = voc("tick", cwd=tmp_path, env=env)
    assert ticked.code == 0 and "follow-ups announcement" not in ticked.out
    [message] = [
        m
        for m in slack.messages_in(CHANNEL)
        if (m.get("metadata") or {}).get("event_type") == "voc_followups"
    ]
    assert "*2 people to get back to*" in _text_of(message)
