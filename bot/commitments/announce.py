"""What the bot says in Slack about a commitment.

Announcing posts the commitment as its own message in the account channel (the message people
react to), tells the owner by DM and, when the area has a function channel, announces it there.
Each of the three — and the one-per-person refusal under a message — is a keyed delivery
(`bot.delivery.post_once`), so announcing twice never doubles a message and a retry looks for
its tagged message before posting again. A failed channel post leaves the commitment saved and
says why, in Slack's words, for the person who logged it.

Thread replies after a change and refreshing the channel message are not keyed: the change that
causes them happens once (a conditional UPDATE), and a refresh only ever shows the current state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, sessionmaker

from bot.commitments import queries
from bot.commitments.values import Announcement
from bot.commitments.workspace import SlackWorkspace
from bot.delivery.post import FAILED, Delivery, Message, Posted, post_once
from bot.delivery.tagged import error_code
from bot.views import commitments as views
from storage.models import Account, Commitment

log = logging.getLogger(__name__)

EVENT_TYPE = "voc_commitment"
REFRESH_ROUNDS = 3


def announce_commitment(
    sessions: sessionmaker[Session], slack: SlackWorkspace, commitment_id: int, *, now: datetime
) -> Announcement:
    """Post it in its channel, DM its owner, tell its function; each at most once."""
    row, account = queries.commitment_and_account(sessions, commitment_id)
    if row is None or account is None:
        return Announcement(commitment_id, post_error="commitment_not_found")
    channel, ts, post_error = _post_in_channel(sessions, slack, row, account.name, now)
    if ts is not None:
        row.channel, row.message_ts = channel, ts
    link = _permalink(slack.client, channel, ts)
    owner_error = _tell_owner(sessions, slack, row, account.name, link, now)
    area_channel, area_error = _tell_area(sessions, slack, row, account.name, link, now)
    return Announcement(
        commitment_id=commitment_id,
        owner=row.owner,
        channel=channel,
        message_ts=ts,
        post_error=post_error,
        owner_error=owner_error,
        area_channel=area_channel,
        area_error=area_error,
    )


def _post_in_channel(
    sessions: sessionmaker[Session],
    slack: SlackWorkspace,
    row: Commitment,
    account_name: str,
    now: datetime,
) -> tuple[str | None, str | None, str | None]:
    """(channel id, ts, error). The ts is what later reactions are matched against."""
    if row.message_ts:
        return row.channel, row.message_ts, None
    if not row.channel:
        return None, None, "no_channel"
    target = slack.directory.channel_id(row.channel) or row.channel

    def render() -> Message:
        text, blocks = views.commitment_message(
            row,
            account_name,
            slack.settings.done_reaction,
            slack.settings.tz,
            owner=slack.directory.shown(row.owner),
        )
        return Message(text, blocks, unfurl=None)

    posted = _post_once(
        sessions, slack, f"commitment:{row.id}:post", "commitment", target, render, now
    )
    if not posted.delivered or posted.channel is None or posted.ts is None:
        return row.channel, None, posted.code
    queries.set_message(sessions, row.id, posted.channel, posted.ts)
    return posted.channel, posted.ts, None


def _tell_owner(
    sessions: sessionmaker[Session],
    slack: SlackWorkspace,
    row: Commitment,
    account_name: str,
    link: str | None,
    now: datetime,
) -> str | None:
    """The owner hears it by DM, with a Done button; None when told, else why not.

    Not when the owner logged it themselves: they know, and a DM about their own action is noise.
    """
    owner_id = slack.directory.user_id_of(row.owner)
    if owner_id is None:
        return "owner_not_in_slack"
    if owner_id == slack.directory.user_id_of(row.created_by):
        return None

    def render() -> Message:
        text, blocks = views.owner_dm(
            row, account_name, link, slack.settings.done_reaction, slack.settings.tz, owner=owner_id
        )
        return Message(text, blocks, unfurl=None)

    key = f"commitment:{row.id}:owner"
    return _error_of(_post_once(sessions, slack, key, "commitment_dm", owner_id, render, now))


def _tell_area(
    sessions: sessionmaker[Session],
    slack: SlackWorkspace,
    row: Commitment,
    account_name: str,
    link: str | None,
    now: datetime,
) -> tuple[str | None, str | None]:
    """The function that must act hears it in its own channel: it is their promise too."""
    area_channel = slack.settings.area_channels.get(row.area)
    if not area_channel or area_channel == row.channel:
        return None, None

    def render() -> Message:
        text, blocks = views.area_announcement(
            row, account_name, link, slack.settings.tz, owner=slack.directory.shown(row.owner)
        )
        return Message(text, blocks, unfurl=None)

    key = f"commitment:{row.id}:area"
    posted = _post_once(sessions, slack, key, "commitment_area", area_channel, render, now)
    return area_channel, _error_of(posted)


def refuse_once(
    sessions: sessionmaker[Session],
    slack: SlackWorkspace,
    row: Commitment,
    account: Account,
    user: str,
    now: datetime,
) -> None:
    """One short thread reply per person per commitment; more would be noise."""
    if not row.channel or not row.message_ts:
        return
    thread_ts = row.message_ts

    def render() -> Message:
        text = views.refusal_reply(user, account.name, slack.settings)
        return Message(text, thread_ts=thread_ts, unfurl=None)

    key = f"commitment:{row.id}:refused:{user}"
    _post_once(sessions, slack, key, "commitment_refusal", row.channel, render, now)


def _post_once(
    sessions: sessionmaker[Session],
    slack: SlackWorkspace,
    key: str,
    kind: str,
    channel: str,
    render: Callable[[], Message | None],
    now: datetime,
) -> Posted:
    delivery = Delivery(slack.workspace_id, key, kind, channel, EVENT_TYPE)
    return post_once(sessions, slack.client, delivery, render, now)


def _error_of(posted: Posted) -> str | None:
    """Sent now, found from before or already sent all mean told; a failure says Slack's code."""
    return posted.code if posted.outcome == FAILED else None


def _permalink(client: WebClient, channel: str | None, ts: str | None) -> str | None:
    if not channel or not ts:
        return None
    try:
        return client.chat_getPermalink(channel=channel, message_ts=ts).get("permalink")
    except SlackApiError:
        return None


def reply_in_thread(slack: SlackWorkspace, row: Commitment, text: str) -> None:
    if not row.channel or not row.message_ts:
        return
    try:
        slack.client.chat_postMessage(channel=row.channel, thread_ts=row.message_ts, text=text)
    except SlackApiError as error:
        log.warning("thread reply on commitment %s failed: %s", row.id, error_code(error))


def refresh_commitment_message(
    sessions: sessionmaker[Session], slack: SlackWorkspace, commitment_id: int
) -> None:
    """Show the current state; re-render if it changed meanwhile, so the last word is the truth."""
    for _ in range(REFRESH_ROUNDS):
        row, account = queries.commitment_and_account(sessions, commitment_id)
        if row is None or account is None or not row.channel or not row.message_ts:
            return
        text, blocks = views.commitment_message(
            row,
            account.name,
            slack.settings.done_reaction,
            slack.settings.tz,
            owner=slack.directory.shown(row.owner),
        )
        try:
            slack.client.chat_update(
                channel=row.channel, ts=row.message_ts, text=text, blocks=blocks
            )
        except SlackApiError as error:
            log.warning("commitment %s message update failed: %s", row.id, error_code(error))
            return
        if queries.version_of(sessions, commitment_id) == row.version:
            return
