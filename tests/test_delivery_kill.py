"""A `voc serve` worker killed (SIGKILL) while posting a saved commitment loses nothing.

The fake Slack stores the channel message and holds its answer until the test has killed the
worker waiting on it, so the message is in the channel but its ts was never recorded. A later
`voc tick` (after the dead worker's lease) finds the tagged message, records its ts — a ✅ on it
then completes the commitment — and sends the owner's DM the dead worker never got to.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.runtime import Runtime
from storage.models import Commitment, Delivery
from tests.conftest import SIGNING_SECRET, SlackBot
from tests.portfolio import AM, MEMBER
from tests.serving import voc_serve
from tests.slack import BOT_USER_ID, FakeSlack, SlackRequests
from tests.test_commitments_slack import (
    ACME_CHANNEL,
    _commitments,
    _open_modal,
    _portfolio,
    _row,
    _state,
    _submit,
    _thread,
    _top_level,
)
from tests.test_delivery_faults import LATER_THAN_A_LEASE, _dms_to, _tick

GONE_WITHIN_SECONDS = 10


@pytest.fixture
def served_master(served_bot: SlackBot) -> int:
    return served_bot.master_pid  # type: ignore[attr-defined]


@pytest.fixture
def served_bot(runtime: Runtime, slack: FakeSlack, tmp_path: Path) -> Iterator[SlackBot]:
    """`voc serve` with two workers on the test's database, its scheduler off (cron ticks)."""
    with voc_serve(tmp_path, slack, runtime.settings.database_url) as server:
        requests = SlackRequests(server.url, SIGNING_SECRET, slack=slack)
        served = SlackBot(runtime=runtime, slack=slack, requests=requests, base_url=server.url)
        served.master_pid = server.process.pid  # type: ignore[attr-defined]
        yield served


def _claimant(runtime: Runtime, key: str | None = None, *, kind: str | None = None) -> int:
    """The pid of the worker holding the claim on a key, or the one of a kind (`host:pid`)."""
    which = Delivery.delivery_key == key if key is not None else Delivery.kind == kind
    with runtime.sessions() as session:
        row = session.execute(select(Delivery.status, Delivery.claimed_by).where(which)).one()
    assert row.status == "claimed"
    return int(row.claimed_by.rsplit(":", 1)[1])


def _kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + GONE_WITHIN_SECONDS
    while time.monotonic() < deadline:  # the master reaps it; until then the pid still answers
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    raise AssertionError(f"worker {pid} still alive after SIGKILL")


def _commitment(runtime: Runtime) -> Commitment:
    with runtime.sessions() as session:
        return session.scalars(select(Commitment)).one()


def test_a_worker_killed_while_posting_a_commitment_is_repaired_by_a_later_tick(
    served_bot: SlackBot, tmp_path: Path
) -> None:
    bot = served_bot
    _portfolio(bot)
    view = _open_modal(bot)
    answer_held = bot.slack.hold_after_effect("chat.postMessage")
    assert _submit(bot, view, [_row("Send the roadmap", MEMBER)]).status == 200
    bot.slack.wait_for("chat.postMessage")  # stored in the channel; the answer is held

    _kill(_claimant(bot.runtime, "commitment:1:post"))
    answer_held.set()

    [message] = _top_level(bot.slack, ACME_CHANNEL)
    assert _commitment(bot.runtime).message_ts is None  # the ts died with the worker
    assert _dms_to(bot.slack, MEMBER) == []

    out = _tick(bot, tmp_path, datetime.now(UTC) + LATER_THAN_A_LEASE)
    assert "commitment 1 announcement" in out

    assert _top_level(bot.slack, ACME_CHANNEL) == [message]  # found, not posted again
    assert _commitment(bot.runtime).message_ts == message["ts"]
    [dm] = _dms_to(bot.slack, MEMBER)
    assert "Send the roadmap" in dm["text"]

    reaction = {
        "type": "reaction_added",
        "user": AM,
        "reaction": "white_check_mark",
        "item": {"type": "message", "channel": ACME_CHANNEL, "ts": message["ts"]},
        "item_user": BOT_USER_ID,
    }
    assert bot.requests.event(reaction).status == 200
    bot.slack.wait_until(lambda: len(_thread(bot.slack, ACME_CHANNEL, message["ts"])) == 1)
    assert _commitment(bot.runtime).status == "done"


def _ask_and_kill(bot: SlackBot) -> str:
    """`/voc account acme`, acked, its worker killed while sending the answer; the URL."""
    _portfolio(bot)
    held = bot.slack.hold_unanswered("response_url")
    url = bot.slack.response_url()
    assert bot.requests.slash_command("account acme", user_id=AM, response_url=url).status == 200
    bot.slack.wait_until(lambda: bot.slack.holding("response_url"))
    _kill(_claimant(bot.runtime, kind="command_reply"))
    held.set()
    assert bot.slack.responses_to(url) == []
    return url


@pytest.mark.parametrize("later", [LATER_THAN_A_LEASE, timedelta(minutes=31)])
def test_a_command_whose_worker_died_after_the_ack_is_answered_later(
    served_bot: SlackBot, tmp_path: Path, later: timedelta
) -> None:
    """While the response URL is valid (30 minutes) the person hears there; later, by DM."""
    bot = served_bot
    url = _ask_and_kill(bot)

    out = _tick(bot, tmp_path, datetime.now(UTC) + later)
    assert "unanswered command" in out
    url_valid = later < timedelta(minutes=30)
    told = bot.slack.responses_to(url) if url_valid else _dms_to(bot.slack, AM)
    [answer] = told
    assert "I could not answer `/voc account acme`" in answer["text"]
    assert "Please ask again" in answer["text"]
    assert (bot.slack.responses_to(url) == []) is not url_valid
    assert "unanswered" not in _tick(bot, tmp_path, datetime.now(UTC) + later + LATER_THAN_A_LEASE)


CHANNEL_MEMBER = "U0CHANMEM"  # on the team only through the account channel: Slack is asked


def _workers(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()]


def test_a_capture_whose_worker_died_before_saving_is_saved_when_submitted_again(
    served_bot: SlackBot, served_master: int
) -> None:
    """The person sees Slack's error and presses Submit again: the same values, the same key."""
    bot = served_bot
    _portfolio(bot)
    bot.slack.add_user(CHANNEL_MEMBER)
    bot.slack.add_channel(ACME_CHANNEL, name="acct-acme", members=[AM, MEMBER, CHANNEL_MEMBER])
    view = _open_modal(bot, user=CHANNEL_MEMBER)
    values = _state(view, [_row("Send the roadmap", MEMBER)])
    held = bot.slack.hold_unanswered("conversations.members")  # the access check, before saving
    first = threading.Thread(
        target=lambda: _quietly(
            lambda: bot.requests.view_submission(view, user_id=CHANNEL_MEMBER, values=values)
        )
    )
    first.start()
    bot.slack.wait_until(lambda: bot.slack.holding("conversations.members"))
    for worker in _workers(served_master):  # whichever took it: the request dies unsaved
        _kill(worker)
    held.set()
    first.join(30)
    assert _commitments(bot) == []

    _wait_for_workers(served_master, 2)
    again = bot.requests.view_submission(view, user_id=CHANNEL_MEMBER, values=values)
    assert (again.status, again.body) == (200, b"")
    bot.slack.wait_until(lambda: len(_top_level(bot.slack, ACME_CHANNEL)) == 1)
    assert [row.text for row in _commitments(bot)] == ["Send the roadmap"]


def _quietly(request: Callable[[], object]) -> None:
    with contextlib.suppress(OSError):
        request()


def _wait_for_workers(master: int, count: int) -> None:
    """gunicorn replaces killed workers; wait until it has (bounded)."""
    deadline = time.monotonic() + 30
    while len(_workers(master)) < count:
        if time.monotonic() > deadline:
            raise AssertionError("gunicorn did not replace its workers")
        time.sleep(0.1)
