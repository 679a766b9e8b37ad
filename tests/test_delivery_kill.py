"""A `voc serve` worker killed (SIGKILL) while posting a saved commitment loses nothing.

The fake Slack stores the channel message and holds its answer until the test has killed the
worker waiting on it, so the message is in the channel but its ts was never recorded. A later
`voc tick` (after the dead worker's lease) finds the tagged message, records its ts — a ✅ on it
then completes the commitment — and sends the owner's DM the dead worker never got to.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.runtime import Runtime
from storage.models import Commitment, Delivery
from tests.conftest import SIGNING_SECRET, SlackBot
from tests.portfolio import AM, MEMBER
from tests.slack import BOT_USER_ID, FakeSlack, SlackRequests
from tests.test_commitments_slack import (
    ACME_CHANNEL,
    _open_modal,
    _portfolio,
    _row,
    _submit,
    _thread,
    _top_level,
)
from tests.test_delivery_faults import LATER_THAN_A_LEASE, _dms_to, _tick
from tests.test_serve import _free_port, _wait_until_listening

GONE_WITHIN_SECONDS = 10


@pytest.fixture
def served_bot(runtime: Runtime, slack: FakeSlack, tmp_path: Path) -> Iterator[SlackBot]:
    """`voc serve` with two workers on the test's database, its scheduler off (cron ticks)."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": runtime.settings.database_url,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
    }
    argv = ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", *argv, "--no-scheduler"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_until_listening(process, time.monotonic() + 30)
        base_url = f"http://127.0.0.1:{port}"
        requests = SlackRequests(base_url, SIGNING_SECRET, slack=slack)
        yield SlackBot(runtime=runtime, slack=slack, requests=requests, base_url=base_url)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _claimant(runtime: Runtime, key: str) -> int:
    """The pid of the worker holding the key's claim (`host:pid`)."""
    with runtime.sessions() as session:
        row = session.execute(
            select(Delivery.status, Delivery.claimed_by).where(Delivery.delivery_key == key)
        ).one()
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
