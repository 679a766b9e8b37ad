"""The reminder DM's buttons through the real HTTP path: what the owner, the channel and the
audit log show after Done, Snooze 1 day, Snooze 1 week and Open in channel.

Listeners read the clock; here it is pinned to the moment the owner presses the button.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.commitments.announce import announce_commitment
from bot.commitments.queries import record_commitments
from bot.commitments.values import CommitmentDraft
from bot.commitments.workspace import SlackWorkspace
from bot.directory import Directory, TtlCache
from storage.db import transaction
from storage.models import Account
from tests.conftest import SlackBot
from tests.portfolio import AM
from tests.reminders_world import (
    ACME_CHANNEL,
    ANN,
    PARIS,
    account_id,
    audit,
    buttons_of,
    commitment,
    item_texts,
    load_accounts,
    reminders_to,
    tick,
)
from tests.slack import BOT_USER_ID

LOGGED_AT = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
MONDAY = datetime(2026, 12, 7, 9, 0, tzinfo=PARIS)
PRESSED_AT = datetime(2026, 12, 7, 10, 0, tzinfo=PARIS).astimezone(UTC)


@pytest.fixture
def bot(make_bot: Callable[..., SlackBot], monkeypatch: pytest.MonkeyPatch) -> SlackBot:
    made = make_bot(timezone="Europe/Paris")
    load_accounts(made.runtime, made.slack)
    for listener in ("handlers.reminders", "handlers.commitments"):
        monkeypatch.setattr(f"{listener}.utc_now", lambda: PRESSED_AT)
    return made


def _logged(bot: SlackBot, text: str, owner: str, due: date) -> int:
    """Logged the way `/voc commit` does it: saved, posted in the account channel, owner told."""
    with transaction(bot.runtime.sessions) as session:
        account = session.get_one(Account, account_id(bot.runtime))
        [row] = record_commitments(
            session,
            account,
            [CommitmentDraft(text=text, owner=owner, due_on=due)],
            actor=AM,
            channel=ACME_CHANNEL,
            today=LOGGED_AT.date(),
            now=LOGGED_AT,
        )
        commitment_id = row.id
    client = WebClient(token="xoxb-test", base_url=bot.slack.api_url)
    workspace = SlackWorkspace(
        client, Directory(client, "local", TtlCache()), bot.runtime.settings, "local", BOT_USER_ID
    )
    announce_commitment(bot.runtime.sessions, workspace, commitment_id, now=LOGGED_AT)
    return commitment_id


def _channel_message(bot: SlackBot, commitment_id: int) -> dict[str, Any]:
    row = commitment(bot.runtime, commitment_id)
    assert row.message_ts is not None
    message = bot.slack.message(ACME_CHANNEL, row.message_ts)
    assert message is not None
    return message


def _thread(bot: SlackBot, commitment_id: int) -> list[str]:
    ts = commitment(bot.runtime, commitment_id).message_ts
    return [m["text"] for m in bot.slack.messages_in(ACME_CHANNEL) if m.get("thread_ts") == ts]


def _press(
    bot: SlackBot,
    action: str,
    commitment_id: int,
    updates: int = 1,
    *,
    shown: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Press a button in Ann's latest reminder (or as `shown` rendered it, for a click that
    arrives twice); returns the reminder once it was updated."""
    dm = shown or reminders_to(bot.slack, ANN)[-1]
    before = len(bot.slack.calls_to("chat.update"))
    reply = bot.requests.block_action(
        action,
        str(commitment_id),
        user_id=ANN,
        message=dm,
        channel_id=bot.slack.dm_channel(ANN),
    )
    assert reply.status == 200
    bot.slack.wait_for("chat.update", count=before + updates)
    current = bot.slack.message(bot.slack.dm_channel(ANN), dm["ts"])
    assert current is not None
    return current


def _section_of(message: dict[str, Any], commitment_id: int) -> str:
    [text] = [
        block["text"]["text"]
        for block in message["blocks"]
        if str(block.get("block_id", "")).startswith(f"reminder_item:{commitment_id}:")
    ]
    return text


def test_done_in_the_reminder_does_what_the_reaction_does(bot: SlackBot) -> None:
    by_button = _logged(bot, "Send the SSO plan", ANN, date(2026, 12, 10))
    by_reaction = _logged(bot, "Price the extra seats", ANN, date(2026, 12, 10))
    tick(bot.runtime, MONDAY)
    [dm] = reminders_to(bot.slack, ANN)
    assert len(item_texts(dm)) == 2

    # Done in the DM: the commitment's message is updated (1) and the DM itself (2).
    after = _press(bot, "reminder_done", by_button, updates=2)

    row = commitment(bot.runtime, by_button)
    assert (row.status, row.done_by, row.done_at) == ("done", ANN, PRESSED_AT)
    assert audit(bot.runtime, by_button) == [("commitment.created", AM), ("commitment.done", ANN)]
    assert _thread(bot, by_button) == [f":white_check_mark: Marked done by <@{ANN}>."]
    channel_text = str(_channel_message(bot, by_button)["blocks"])
    assert "~Send the SSO plan~" in channel_text and f"Done by <@{ANN}>" in channel_text
    # The DM shows it done, without buttons; the other item is untouched.
    assert "~Send the SSO plan~" in _section_of(after, by_button)
    assert f"Done by <@{ANN}>" in _section_of(after, by_button)
    assert buttons_of(after, by_button) == []
    assert buttons_of(after, by_reaction)[:3] == ["Done", "Snooze 1 day", "Snooze 1 week"]

    # The same promise completed with the reaction reads the same way in the channel.
    before = len(bot.slack.calls_to("chat.update"))
    bot.requests.event(
        {
            "type": "reaction_added",
            "user": ANN,
            "reaction": "white_check_mark",
            "item": {
                "type": "message",
                "channel": ACME_CHANNEL,
                "ts": commitment(bot.runtime, by_reaction).message_ts,
            },
            "item_user": BOT_USER_ID,
        }
    )
    bot.slack.wait_for("chat.update", count=before + 1)
    assert _thread(bot, by_reaction) == _thread(bot, by_button)
    assert str(_channel_message(bot, by_reaction)["blocks"]).replace(
        "Price the extra seats", "Send the SSO plan"
    ) == str(_channel_message(bot, by_button)["blocks"])

    tick(bot.runtime, datetime(2026, 12, 11, 9, 0, tzinfo=PARIS))  # first overdue day
    assert len(reminders_to(bot.slack, ANN)) == 1  # nothing left to remind


def test_snoozed_items_come_back_when_the_snooze_ends(bot: SlackBot) -> None:
    week = _logged(bot, "Send the SSO plan", ANN, date(2026, 12, 10))
    day = _logged(bot, "Price the extra seats", ANN, date(2026, 12, 9))
    tick(bot.runtime, MONDAY)
    [monday] = reminders_to(bot.slack, ANN)
    assert len(item_texts(monday)) == 2

    after = _press(bot, "reminder_snooze_week", week)
    # Monday 14th at 09:00 Paris, the start of her working day a week later.
    assert commitment(bot.runtime, week).snoozed_until == datetime(2026, 12, 14, 8, tzinfo=UTC)
    assert ":zzz: Snoozed until" in _section_of(after, week)
    assert buttons_of(after, week) == ["Done", "Open in channel"]
    after = _press(bot, "reminder_snooze_day", day)
    assert commitment(bot.runtime, day).snoozed_until == datetime(2026, 12, 8, 8, tzinfo=UTC)
    assert ":zzz: Snoozed until" in _section_of(after, day)

    before = len(bot.slack.calls_to("chat.update"))
    _press(bot, "reminder_snooze_week", week, shown=monday)  # a double click: changes once
    assert len(bot.slack.calls_to("chat.update")) == before + 1
    assert audit(bot.runtime, week) == [("commitment.created", AM), ("commitment.snoozed", ANN)]
    assert audit(bot.runtime, day) == [("commitment.created", AM), ("commitment.snoozed", ANN)]

    shown: dict[date, list[str]] = {}
    for n in range(8, 15):
        seen = len(reminders_to(bot.slack, ANN))
        tick(bot.runtime, datetime(2026, 12, n, 9, 30, tzinfo=PARIS))
        if len(reminders_to(bot.slack, ANN)) > seen:
            shown[date(2026, 12, n)] = item_texts(reminders_to(bot.slack, ANN)[-1])
    titles = {d: [t.split("\n")[0].split(" · ")[1] for t in texts] for d, texts in shown.items()}
    assert titles == {
        date(2026, 12, 8): ["Price the extra seats"],  # a day later, still due soon
        date(2026, 12, 10): ["Price the extra seats"],  # overdue since Wednesday
        date(2026, 12, 14): ["Send the SSO plan"],  # the week is over; overdue since Friday
    }
    assert ":warning: *Overdue*" in shown[date(2026, 12, 14)][0]


def test_open_in_channel_links_to_the_commitment_and_is_acknowledged(bot: SlackBot) -> None:
    item = _logged(bot, "Send the SSO plan", ANN, date(2026, 12, 10))
    tick(bot.runtime, MONDAY)
    [dm] = reminders_to(bot.slack, ANN)
    [link] = [
        element["url"]
        for block in dm["blocks"]
        if block.get("block_id") == f"reminder_actions:{item}"
        for element in block["elements"]
        if element["text"]["text"] == "Open in channel"
    ]
    ts = commitment(bot.runtime, item).message_ts
    assert ts is not None
    assert link == f"https://voc-test.slack.com/archives/{ACME_CHANNEL}/p{ts.replace('.', '')}"
    reply = bot.requests.block_action(
        "reminder_open", str(item), user_id=ANN, message=dm, channel_id=bot.slack.dm_channel(ANN)
    )
    assert reply.status == 200


def _recorded_only(bot: SlackBot, text: str, owner: str, due: date) -> int:
    """Recorded the way `voc commit` does without a bot token: no message in any channel."""
    with transaction(bot.runtime.sessions) as session:
        account = session.get_one(Account, account_id(bot.runtime))
        [row] = record_commitments(
            session,
            account,
            [CommitmentDraft(text=text, owner=owner, due_on=due)],
            actor=AM,
            channel=ACME_CHANNEL,
            today=LOGGED_AT.date(),
            now=LOGGED_AT,
        )
        return row.id


def _footer(message: dict[str, Any]) -> str:
    return message["blocks"][-1]["elements"][0]["text"]


def test_a_commitment_without_a_message_gets_no_open_in_channel_promise(bot: SlackBot) -> None:
    unposted = _recorded_only(bot, "Send the SSO plan", ANN, date(2026, 12, 10))
    tick(bot.runtime, MONDAY)
    [dm] = reminders_to(bot.slack, ANN)
    assert buttons_of(dm, unposted) == ["Done", "Snooze 1 day", "Snooze 1 week"]
    assert "message" not in _footer(dm) and "channel" not in _footer(dm)
    assert _footer(dm).startswith("Done here marks the commitment done.")


def test_only_the_posted_commitment_offers_open_in_channel(bot: SlackBot) -> None:
    unposted = _recorded_only(bot, "Send the SSO plan", ANN, date(2026, 12, 10))
    posted = _logged(bot, "Price the extra seats", ANN, date(2026, 12, 9))
    tick(bot.runtime, MONDAY)
    [dm] = reminders_to(bot.slack, ANN)
    assert buttons_of(dm, unposted) == ["Done", "Snooze 1 day", "Snooze 1 week"]
    assert buttons_of(dm, posted) == ["Done", "Snooze 1 day", "Snooze 1 week", "Open in channel"]
    assert _footer(dm).startswith(
        "Done here works like reacting on the commitment's message, where it has one."
    )
