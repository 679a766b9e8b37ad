"""Text from outside never pings, links or controls a terminal (issue 18).

A portfolio whose every text field carries Slack markup (`<!channel>`, `<!here>`, `<@U0EVIL>`,
`<https://evil.example|click>`, `&amp;`) is driven through every kind of Slack interaction the
bot answers: slash commands, buttons, dialogs, the message shortcut, events and the scheduled
tick. The fake Slack checks every payload it receives (tests/slack/markup.py); this module
counts them and checks the fields a reader sees. The terminal half runs `voc` as a process.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from bot.core.slack import escape
from bot.figures.service import refresh_everything
from bot.runtime import Runtime
from bot.scheduler import run_due_work
from storage.db import transaction
from storage.models import Account, Commitment, Response
from tests.cli import voc
from tests.conftest import SlackBot
from tests.portfolio import AM, MEMBER, OUTSIDER, SPONSOR, account_row, load, response_row
from tests.slack import BOT_USER_ID, FakeSlack, datepicker_value
from tests.slack.markup import markup_errors, mrkdwn_texts
from tests.test_commitments_slack import SOON, SlackReactions, _row, _state

MARKERS = "<!channel> <!here> <@U0EVIL> <https://evil.example|click> &amp;"
EVIL = f"Evil {MARKERS} Co"
TWIN = "Evil <!here> Twin"
CYCLE = "Wave <!here> <https://evil.example/c|c>"
RESPONDENT = "Mallory <@U0EVIL>"
MALLORY = "mallory@evil.example"
COMMENT = f"Call me {MARKERS} now"
PROMISE = f"Send the plan {MARKERS}"
NOTES = f"• fix it {MARKERS}\n• and call <!channel>"
CHANNEL = "C0EVIL001"
PARIS = ZoneInfo("Europe/Paris")
LITERALLY = (
    "&lt;!channel&gt; &lt;!here&gt; &lt;@U0EVIL&gt; &lt;https://evil.example|click&gt; &amp;amp;"
)


def _world(bot: SlackBot) -> None:
    load(
        bot.runtime,
        [account_row(EVIL, channel=CHANNEL, team=MEMBER), account_row(TWIN, channel="C0TWIN001")],
        [
            response_row(
                EVIL, CYCLE, RESPONDENT, 3, 2, 2, comment=COMMENT, title=MARKERS, email=MALLORY
            ),
            response_row(EVIL, CYCLE, "Ann Lee", 9, 10, 9, comment=COMMENT),
            response_row(EVIL, "2026-Q3", RESPONDENT, 9, 9, 9, comment=COMMENT, email=MALLORY),
            response_row(EVIL, "2026-Q3", "Zed <!everyone>", 8, 8, 8, email="zed@evil.example"),
            response_row(TWIN, CYCLE, "Tim Twin", 2, 1, 1, comment=COMMENT),
        ],
    )
    for user, name in ((AM, "Alma Manager"), (MEMBER, "Tess Member"), (SPONSOR, "Seb Sponsor")):
        bot.slack.add_user(user, name=name, tz="Europe/Paris")
    bot.slack.add_channel(CHANNEL, name="acct-evil", members=[AM, MEMBER])
    bot.slack.add_channel("C0TWIN001", name="acct-twin", members=[AM])


def typed(text: str) -> str:
    """What Slack sends for text a person typed (not picked from its @ list): escaped."""
    return escape(text)


def _ask(bot: SlackBot, text: str, user: str = AM, channel: str = CHANNEL) -> dict[str, Any]:
    url = bot.slack.response_url()
    expected = len(bot.slack.responses) + 1
    assert (
        bot.requests.slash_command(text, user_id=user, channel_id=channel, response_url=url).status
        == 200
    )
    bot.slack.wait_for_response_url(count=expected)
    return bot.slack.responses_to(url)[-1]


def _press(bot: SlackBot, action_id: str, message: dict[str, Any], **more: Any) -> None:
    assert bot.requests.block_action(action_id, message=message, user_id=AM, **more).status == 200


def _account_id(bot: SlackBot, name: str = EVIL) -> int:
    with bot.runtime.sessions() as session:
        return session.scalars(select(Account.id).where(Account.name == name)).one()


def _all_payloads(slack: FakeSlack) -> list[dict[str, Any]]:
    """Every message and view the bot sent, on the Web API and on response URLs."""
    sent: list[dict[str, Any]] = []
    for call in slack.calls:
        if "view" in call.params and isinstance(call.params["view"], dict):
            sent.append(call.params["view"])
        elif "text" in call.params or "blocks" in call.params:
            sent.append(call.params)
    return sent + slack.responses


def _wait_quiet(slack: FakeSlack, method: str, count: int) -> None:
    slack.wait_for(method, count=count)


def test_hostile_text_never_becomes_markup_in_any_payload(bot: SlackBot, capsys: Any) -> None:
    _world(bot)

    # Slash commands: the report, misses that echo the query, lists, the help for a typo.
    report = _ask(bot, f"account {typed(EVIL)}")
    assert report["text"] == (
        "Evil &lt;!channel&gt; &lt;!here&gt; &lt;@U0EVIL&gt; &lt;https://evil.example|click&gt; "
        "&amp;amp; Co (2026-Q3): NPS +50, satisfaction 8.5/10, 2 respondents"
    )
    twin = _ask(bot, f"account {typed(TWIN)}")["text"]
    assert twin == (
        "Evil &lt;!here&gt; Twin (Wave &lt;!here&gt; &lt;https://evil.example/c|c&gt;): "
        "NPS -100, satisfaction 2.0/10, 1 respondent"
    )
    header = report["blocks"][0]["text"]["text"]
    assert header == EVIL  # plain_text: Slack shows it literally, so it carries the data as is
    missed = _ask(bot, "account Nobody <!channel> <@U0EVIL>")["text"]
    assert missed.startswith('No account is called "Nobody &lt;!channel&gt; &lt;@U0EVIL&gt;"')
    several = _ask(bot, "account evil")["text"]
    assert "Evil &lt;!here&gt; Twin" in several
    near = _ask(bot, "account Evil <!here> Twim")["text"]  # a typo, with a real @here in it
    assert near == (
        'No account is called "Evil &lt;!here&gt; Twim". Did you mean Evil &lt;!here&gt; Twin?'
    )
    assert _ask(bot, "<!channel>")["text"].startswith("`/voc &lt;!channel&gt;` is not a command")
    for text in (
        f"open {typed(EVIL)}",
        f"followups {typed(EVIL)}",
        f"meetings {typed(EVIL)}",
        "open @<!here>",
        f"digest {typed(EVIL)}",
        f"sponsor {typed(EVIL)} <@{SPONSOR}|seb>",
        f"meeting {typed(EVIL)} 2030-12-03 14:00",
    ):
        _ask(bot, text)

    # Buttons: show everyone, the meetings list's cancel, Done in `/voc open`.
    evil_id = str(_account_id(bot))
    opened = len(bot.slack.calls_to("views.open"))
    bot.requests.block_action("report_show_people", evil_id, user_id=AM)
    bot.slack.wait_for("views.open", count=opened + 1)
    answered = len(bot.slack.responses)
    _press(bot, "report_trend_chart", report)
    bot.slack.wait_for_response_url(count=answered + 1)
    listed = _ask(bot, f"meetings {typed(EVIL)}")
    _press(bot, "meeting_cancel", listed)

    # The commitments modal, opened by command and by the shortcut on hostile meeting notes,
    # grown by a row and submitted with hostile text: announced, DMed, listed, done.
    opened = len(bot.slack.calls_to("views.open"))
    bot.requests.slash_command(f"commit {typed(EVIL)}", user_id=AM, channel_id=CHANNEL)
    view = bot.slack.wait_for("views.open", count=opened + 1)[-1].response["view"]
    note = bot.slack.seed_message(CHANNEL, user=MEMBER, text=NOTES)
    bot.requests.message_shortcut("log_commitment", note, user_id=AM, channel_id=CHANNEL)
    bot.slack.wait_for("views.open", count=opened + 2)
    updated = len(bot.slack.calls_to("views.update"))
    bot.requests.block_action("commitments_add_row", view=view, user_id=AM)
    bot.slack.wait_for("views.update", count=updated + 1)
    _save_commitment(bot, view)
    open_list = _ask(bot, f"open {typed(EVIL)}")
    _press(bot, "commitment_done", open_list)

    # Events: the Home tab, a done reaction on the announcement.
    published = len(bot.slack.calls_to("views.publish"))
    bot.requests.event({"type": "app_home_opened", "user": AM, "channel": "D0AM", "tab": "home"})
    bot.slack.wait_for("views.publish", count=published + 1)

    # Scheduled: a digest, reminders and escalations for an overdue hostile promise.
    _overdue_promise(bot)
    now = datetime(2030, 12, 2, 12, 0, tzinfo=UTC)
    run_due_work(bot.runtime, now)

    payloads = _all_payloads(bot.slack)
    problems = [error for payload in payloads for error in markup_errors(payload)]
    fields = sum(1 for payload in payloads for _ in mrkdwn_texts(payload))
    with capsys.disabled():
        print(f"\n{len(problems)} unescaped markers in {len(payloads)} payloads ({fields} fields)")
    assert problems == []
    methods = {call.method for call in bot.slack.calls if call.ok}
    kinds = {"chat.postMessage", "views.open", "views.update", "views.publish", "chat.update"}
    assert kinds <= methods, f"not driven: {kinds - methods}"
    reminders = [m for m in _all_payloads(bot.slack) if "promise" in str(m.get("text"))]
    assert reminders, "the tick sent no reminder about the hostile promise"
    assert LITERALLY in json.dumps(report["blocks"]).replace("\\u2014", "—")


def _save_commitment(bot: SlackBot, view: dict[str, Any]) -> None:
    """Fill the first row as a person would and save: posted in the channel, DMed to MEMBER."""
    current = bot.slack.view(view["id"]) or view
    posted = len(bot.slack.calls_to("chat.postMessage"))
    rows = [_row(PROMISE, MEMBER, SOON), _row(f"and {MARKERS}", MEMBER, SOON)]
    reply = bot.requests.view_submission(current, user_id=AM, values=_state(current, rows))
    assert reply.status == 200
    bot.slack.wait_for("chat.postMessage", count=posted + 4)


def _overdue_promise(bot: SlackBot) -> None:
    with transaction(bot.runtime.sessions) as session:
        session.add(
            Commitment(
                workspace_id="local",
                account_id=_account_id(bot),
                text=PROMISE,
                owner=MEMBER,
                due_on=datetime(2026, 1, 5).date(),
                status="open",
                created_at=datetime(2026, 1, 1, tzinfo=UTC),
                created_by=AM,
            )
        )


# --- the terminal ----------------------------------------------------------------------------

STEERING = {"\x1b": "\\u001b", "\x07": "\\u0007", "\x00": "\\u0000", "\u202e": "\\u202e"}
SCREEN_COMMENT = "Fine\x1b[2J\x1b]0;pwned\x07 really\u202eslow\x00 ok"


@pytest.fixture
def steering_portfolio(any_runtime: Runtime) -> str:
    """A comment and an account name that would clear, retitle and reorder a terminal."""
    load(
        any_runtime,
        [account_row("Bidi \u202eoC lavE")],
        [response_row("Bidi \u202eoC lavE", "2026-Q3", "Ann Lee", 4, 3, 3, email="ann@x.example")],
    )
    comment = (
        SCREEN_COMMENT
        if any_runtime.engine.dialect.name == "sqlite"
        else SCREEN_COMMENT.replace("\x00", "")
    )
    # As if it had come in before NULs were refused: stored, then the upgrade's backfill
    # computed the account's figures from it.
    with transaction(any_runtime.sessions) as session:
        session.execute(update(Response).values(comment=comment))
        refresh_everything(session)
    any_runtime.engine.dispose()
    return str(any_runtime.engine.url)


def test_the_terminal_shows_steering_characters_instead_of_obeying_them(
    steering_portfolio: str, tmp_path: Path
) -> None:
    ran = voc("account", "bidi", cwd=tmp_path, DATABASE_URL=steering_portfolio)
    assert ran.code == 0, ran.err
    assert not set(STEERING) & set(ran.out + ran.err)
    assert "Fine\\u001b[2J\\u001b]0;pwned\\u0007 really\\u202eslow" in ran.out
    assert "Bidi \\u202eoC lavE" in ran.out

    as_json = voc("account", "bidi", "--json", cwd=tmp_path, DATABASE_URL=steering_portfolio)
    assert not set(STEERING) & set(as_json.out)
    [person] = json.loads(as_json.out)["people"]
    assert person["comment"].startswith("Fine\x1b[2J\x1b]0;pwned\x07 really\u202eslow")
    assert json.loads(as_json.out)["account"] == "Bidi \u202eoC lavE"


def test_a_typed_argument_is_echoed_visibly_in_a_refusal(tmp_path: Path, runtime: Runtime) -> None:
    load(runtime, [account_row("ACME Corp")])
    runtime.engine.dispose()
    ran = voc("account", "zz\x1b[31m\u202e", cwd=tmp_path, DATABASE_URL=str(runtime.engine.url))
    assert (ran.code, ran.err_lines) == (2, ['No account is called "zz\\u001b[31m\\u202e".'])


def test_the_other_interaction_kinds_escape_hostile_text_too(bot: SlackBot, capsys: Any) -> None:
    """Moving a review in its dialog, a follow-up button, an outsider's done reaction on an
    announcement (answered in its thread), and Snooze in a reminder DM."""
    _world(bot)
    bot.slack.add_user(OUTSIDER, name="Otto Outsider", tz="Europe/Paris")
    SlackReactions(bot.slack)
    _ask(bot, f"meeting {typed(EVIL)} 2030-12-03 14:00")
    listed = _ask(bot, f"meetings {typed(EVIL)}")
    opened = len(bot.slack.calls_to("views.open"))
    _press(bot, "meeting_move", listed)
    dialog = bot.slack.wait_for("views.open", count=opened + 1)[-1].params["view"]
    values = {
        "meeting_date": {"date": datepicker_value("2030-12-04")},
        "meeting_time": {"time": {"type": "timepicker", "selected_time": "11:00"}},
    }
    answered = bot.requests.view_submission(dialog, user_id=AM, values=values)
    assert answered.status == 200
    moved = answered.json()["view"]["blocks"][0]["text"]["text"]  # replaces the dialog
    assert moved.startswith(f"{':calendar:'} Review #") and "*Evil &lt;!channel&gt;" in moved

    waiting = _ask(bot, f"followups {typed(EVIL)}")
    answered = len(bot.slack.responses)
    _press(bot, "followup_contacted", waiting)
    bot.slack.wait_for_response_url(count=answered + 1)
    assert bot.slack.responses[-1]["text"].startswith("Follow-up with Mallory &lt;@U0EVIL&gt;")

    opened = len(bot.slack.calls_to("views.open"))
    bot.requests.slash_command(f"commit {typed(EVIL)}", user_id=AM, channel_id=CHANNEL)
    view = bot.slack.wait_for("views.open", count=opened + 1)[-1].response["view"]
    updated = len(bot.slack.calls_to("views.update"))
    bot.requests.block_action("commitments_add_row", view=view, user_id=AM)
    bot.slack.wait_for("views.update", count=updated + 1)
    _save_commitment(bot, view)
    [announcement, *_] = [m for m in bot.slack.messages_in(CHANNEL) if "thread_ts" not in m]
    posted = len(bot.slack.calls_to("chat.postMessage"))
    reaction = {
        "type": "reaction_added",
        "user": OUTSIDER,
        "reaction": "white_check_mark",
        "item": {"type": "message", "channel": CHANNEL, "ts": announcement["ts"]},
        "item_user": BOT_USER_ID,
    }
    assert bot.requests.event(reaction).status == 200
    [told] = bot.slack.wait_for("chat.postMessage", count=posted + 1)[posted:]
    assert "*Evil &lt;!channel&gt;" in told.params["text"]

    run_due_work(bot.runtime, datetime(2030, 12, 2, 12, 0, tzinfo=UTC))
    [dm] = [m for m in bot.slack.messages_in(bot.slack.dm_channel(MEMBER)) if m.get("blocks")][-1:]
    commitment_id = _commitment_ids(bot)[0]
    updates = len(bot.slack.calls_to("chat.update"))
    bot.requests.block_action(
        "reminder_snooze_day",
        str(commitment_id),
        user_id=MEMBER,
        message=dm,
        channel_id=bot.slack.dm_channel(MEMBER),
    )
    bot.slack.wait_for("chat.update", count=updates + 1)

    payloads = _all_payloads(bot.slack)
    problems = [error for payload in payloads for error in markup_errors(payload)]
    with capsys.disabled():
        print(f"\n{len(problems)} unescaped markers in {len(payloads)} more payloads")
    assert problems == []


def _commitment_ids(bot: SlackBot) -> list[int]:
    with bot.runtime.sessions() as session:
        return list(
            session.scalars(
                select(Commitment.id).where(Commitment.owner == MEMBER).order_by(Commitment.id)
            )
        )
