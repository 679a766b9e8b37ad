"""Nothing acknowledged is lost, nothing is doubled, whatever Slack answers or whoever dies.

Through the real path: the modal submitted as Slack sends it, the fake Slack answering the way
Slack can (a 500 after it stored the message, 429 with Retry-After, plain 500s), and `voc tick`
run later as the operator's cron would.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.delivery import replies
from storage.models import Delivery
from tests.cli import voc
from tests.conftest import SlackBot
from tests.portfolio import AM, MEMBER
from tests.slack import FakeSlack
from tests.test_commitments_slack import (
    ACME_CHANNEL,
    PRODUCT_CHANNEL,
    SlackReactions,
    _commitments,
    _open_modal,
    _portfolio,
    _react,
    _row,
    _submit,
    _thread,
    _top_level,
)

LATER_THAN_A_LEASE = timedelta(minutes=6)


def _capture(bot: SlackBot, text: str = "Send the roadmap", owner: str = MEMBER) -> None:
    """AM logs one commitment owned by MEMBER; the modal closes at once (an empty ack)."""
    view = _open_modal(bot)
    reply = _submit(bot, view, [_row(text, owner)])
    assert reply.status == 200 and reply.body == b""


def _dms_to(slack: FakeSlack, user: str) -> list[dict]:
    return slack.messages_in(slack.dm_channel(user))


def _wait_for_owner_dm(slack: FakeSlack, count: int = 1) -> None:
    """The owner's DM is the last thing a capture sends: the channel post is settled by then."""
    slack.wait_until(lambda: len(_dms_to(slack, MEMBER)) >= count)


def _tick(bot: SlackBot, tmp_path: Path, at: datetime) -> str:
    """`voc tick --now AT`, as cron runs it, against the same database and fake Slack."""
    ran = voc(
        "tick",
        "--now",
        at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        cwd=tmp_path,
        DATABASE_URL=bot.runtime.settings.database_url,
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_API_URL=bot.slack.api_url,
    )
    assert ran.code == 0, ran.err
    return ran.out


def test_a_500_after_slack_stored_the_commitment_leaves_one_message_and_its_ts(
    bot: SlackBot,
) -> None:
    _portfolio(bot)
    bot.slack.fail_after_effect("chat.postMessage")  # the channel post: stored, answered 500
    _capture(bot)
    _wait_for_owner_dm(bot.slack)

    [message] = _top_level(bot.slack, ACME_CHANNEL)
    assert "Send the roadmap" in message["text"]
    [commitment] = _commitments(bot)
    assert commitment.message_ts == message["ts"]  # so a ✅ on it completes the commitment
    assert len(_dms_to(bot.slack, MEMBER)) == 1


def test_a_500_after_slack_stored_the_owner_dm_leaves_one_dm(
    make_bot: Callable[..., SlackBot],
) -> None:
    bot = make_bot(area_channels={"product": PRODUCT_CHANNEL})
    _portfolio(bot)
    bot.slack.add_channel(PRODUCT_CHANNEL, name="product-feedback")
    bot.slack.fail_after_effect("chat.postMessage", skip=1)  # the channel post goes; the DM 500s
    view = _open_modal(bot)
    row = _row("Send the roadmap", MEMBER, **{"Who must act": "Product"})
    assert _submit(bot, view, [row]).status == 200
    # Product hears of it after the owner's DM is settled, retries included.
    bot.slack.wait_until(lambda: len(bot.slack.messages_in(PRODUCT_CHANNEL)) == 1)

    assert len(_top_level(bot.slack, ACME_CHANNEL)) == 1
    [dm] = _dms_to(bot.slack, MEMBER)
    assert "Send the roadmap" in dm["text"]


def test_a_rate_limited_post_waits_and_posts_once(bot: SlackBot) -> None:
    _portfolio(bot)
    bot.slack.fail_next("chat.postMessage", 429, retry_after=1)
    _capture(bot)
    _wait_for_owner_dm(bot.slack)

    [message] = _top_level(bot.slack, ACME_CHANNEL)
    assert _commitments(bot)[0].message_ts == message["ts"]


def test_a_channel_post_that_kept_failing_is_posted_by_a_later_tick(
    bot: SlackBot, tmp_path: Path
) -> None:
    _portfolio(bot)
    bot.slack.fail_next("chat.postMessage", 500, count=3)  # every attempt the request makes
    _capture(bot)
    _wait_for_owner_dm(bot.slack)
    assert _top_level(bot.slack, ACME_CHANNEL) == []
    [commitment] = _commitments(bot)
    assert commitment.message_ts is None

    out = _tick(bot, tmp_path, datetime.now(UTC) + timedelta(minutes=2))
    assert "commitment 1 announcement" in out

    [message] = _top_level(bot.slack, ACME_CHANNEL)
    assert "Send the roadmap" in message["text"]
    assert _commitments(bot)[0].message_ts == message["ts"]
    assert len(_dms_to(bot.slack, MEMBER)) == 1  # the owner was told once, by the request
    later = _tick(bot, tmp_path, datetime.now(UTC) + timedelta(minutes=4))
    assert "commitment" not in later
    assert len(_top_level(bot.slack, ACME_CHANNEL)) == 1


def test_a_commitment_logged_for_oneself_owes_no_dm_and_later_ticks_find_nothing(
    bot: SlackBot, tmp_path: Path
) -> None:
    _portfolio(bot)
    _capture(bot, owner=AM)
    bot.slack.wait_for("chat.getPermalink")
    assert len(_top_level(bot.slack, ACME_CHANNEL)) == 1
    with bot.runtime.sessions() as session:
        statuses = dict(session.execute(select(Delivery.delivery_key, Delivery.status)).all())
    # Never owed; withdrawn outright once the request sees who the owner is (it may still be
    # finishing when this reads).
    assert statuses["commitment:1:post"] == "sent"
    assert statuses.get("commitment:1:owner", "cancelled") == "cancelled"
    assert set(statuses) <= {"commitment:1:post", "commitment:1:owner"}
    assert "commitment" not in _tick(bot, tmp_path, datetime.now(UTC) + LATER_THAN_A_LEASE)
    assert _dms_to(bot.slack, AM) == []


def test_a_dialog_slack_did_not_open_is_explained_to_the_person(bot: SlackBot) -> None:
    _portfolio(bot)
    bot.slack.fail_next("views.open", 500, count=3)  # the first try and the client's two retries
    url = bot.slack.response_url()
    reply = bot.requests.slash_command("commit acme", user_id=AM, response_url=url)
    assert reply.status == 200
    bot.slack.wait_for_response_url()
    [answer] = bot.slack.responses_to(url)
    assert answer["response_type"] == "ephemeral"
    assert "Slack did not open the dialog" in answer["text"] and "Try again" in answer["text"]
    assert bot.slack.calls_to("views.open", ok=True) == []


def test_an_answered_command_owes_nothing_to_later_ticks(bot: SlackBot, tmp_path: Path) -> None:
    _portfolio(bot)
    url = bot.slack.response_url()
    assert bot.requests.slash_command("account acme", user_id=AM, response_url=url).status == 200
    bot.slack.wait_for_response_url()
    [report] = bot.slack.responses_to(url)
    assert "ACME Corp" in report["text"]
    assert "unanswered" not in _tick(bot, tmp_path, datetime.now(UTC) + LATER_THAN_A_LEASE)
    assert len(bot.slack.responses_to(url)) == 1


def test_a_command_delivered_twice_is_answered_once(bot: SlackBot, tmp_path: Path) -> None:
    """Slack's trigger id names the invocation: a second delivery of it is acked, not redone."""
    _portfolio(bot)
    url = bot.slack.response_url()
    for _ in range(2):
        sent = bot.requests.slash_command(
            "account acme", user_id=AM, response_url=url, trigger_id="1.2.once"
        )
        assert sent.status == 200
    later = bot.slack.response_url()  # asked once both were acked
    assert bot.requests.slash_command("account acme", user_id=AM, response_url=later).status == 200
    bot.slack.wait_until(lambda: len(bot.slack.responses_to(later)) == 1)
    [report] = bot.slack.responses_to(url)
    assert "ACME Corp" in report["text"]
    assert "unanswered" not in _tick(bot, tmp_path, datetime.now(UTC) + LATER_THAN_A_LEASE)


def test_a_thread_reply_that_kept_failing_is_posted_by_a_later_tick(
    bot: SlackBot, tmp_path: Path
) -> None:
    _portfolio(bot)
    reactions = SlackReactions(bot.slack)
    _capture(bot)
    _wait_for_owner_dm(bot.slack)
    [message] = _top_level(bot.slack, ACME_CHANNEL)
    reactions.add(ACME_CHANNEL, message["ts"], AM)
    bot.slack.fail_next("chat.postMessage", 500, count=3)  # the reply, every attempt
    redrawn = len(bot.slack.calls_to("chat.update"))
    _react(bot, AM, message)
    bot.slack.wait_for("chat.update", count=redrawn + 1)  # done, redrawn, the reply not posted
    assert _commitments(bot)[0].status == "done"
    assert _thread(bot.slack, ACME_CHANNEL, message["ts"]) == []

    out = _tick(bot, tmp_path, datetime.now(UTC) + timedelta(minutes=2))
    assert "commitment thread reply" in out
    [reply] = _thread(bot.slack, ACME_CHANNEL, message["ts"])
    assert f"Marked done by <@{AM}>" in reply
    _tick(bot, tmp_path, datetime.now(UTC) + timedelta(minutes=4))
    assert len(_thread(bot.slack, ACME_CHANNEL, message["ts"])) == 1


TOKYO = "U0TOKYO01"


def _owed_by_a_dead_worker(bot: SlackBot, trigger: str, at: datetime) -> None:
    """A `/voc account` acked at `at` whose worker died before answering (nothing else of it
    survives: the owed row is what the request wrote before its ack)."""
    assert replies.owe_reply(
        bot.runtime,
        workspace_id=bot.runtime.settings.workspace,
        key=replies.reply_key(trigger),
        user_id=TOKYO,
        command="/voc account acme",
        response_url=None,  # long expired by the time a tick finds it
        now=at,
    )


def test_lost_answers_are_told_by_one_dm_a_day_of_the_readers(
    bot: SlackBot, tmp_path: Path
) -> None:
    """Two answers lost at 23:10 and 23:50 UTC, told at 23:30 and 00:30: a day apart in UTC,
    but 08:30 and 09:30 of one morning in Tokyo, so one DM."""
    bot.slack.add_user(TOKYO, tz="Asia/Tokyo")
    first = datetime(2026, 12, 1, 23, 10, tzinfo=UTC)
    _owed_by_a_dead_worker(bot, "1.1.a", first)
    assert "unanswered command" in _tick(bot, tmp_path, first + timedelta(minutes=20))
    _owed_by_a_dead_worker(bot, "1.1.b", first + timedelta(minutes=40))
    told = _tick(bot, tmp_path, first + timedelta(minutes=80))
    assert "told by DM today already" in told
    [dm] = _dms_to(bot.slack, TOKYO)
    assert "I could not answer `/voc account acme`" in dm["text"]
