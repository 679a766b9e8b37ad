"""`post_once`: one message, exactly once, whoever and however often asks for it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, sessionmaker

from bot import metrics
from bot.core.slack import as_mrkdwn, is_user_id
from bot.delivery import ledger
from bot.delivery.tagged import (
    SEND_ERRORS,
    Found,
    describe_error,
    dm_channel,
    error_code,
    find_tagged,
    tag,
)
from storage.db import transaction

log = logging.getLogger(__name__)

SENT = "sent"
FOUND = "found"
SKIPPED = "skipped"
FAILED = "failed"
NOT_NOW = "nothing to say now"


@dataclass(frozen=True)
class Message:
    """What to post: rendered at the moment of sending from what the database says then.

    `text` is the notification line: data unless a view built it as `Mrkdwn` (escaped on send).
    """

    text: str
    blocks: list[dict[str, Any]] | None = None
    thread_ts: str | None = None
    unfurl: bool | None = True  # None: Slack's own defaults, as a plain chat.postMessage gets


@dataclass(frozen=True)
class Posted:
    """How a delivery ended: `sent` now, `found` from an earlier attempt, `skipped`, `failed`.

    A failed one keeps Slack's error, so a person waiting on the answer is told what Slack said
    (`code`, e.g. `not_in_channel`) and a caller that must fail loudly can re-raise it.
    """

    outcome: str
    channel: str | None = None
    ts: str | None = None
    detail: str = ""
    error: BaseException | None = field(default=None, compare=False, repr=False)

    @property
    def delivered(self) -> bool:
        return self.outcome in (SENT, FOUND)

    @property
    def code(self) -> str | None:
        """Slack's short error name for a failure, or what went wrong when Slack said nothing."""
        if self.error is None:
            return None
        if isinstance(self.error, SlackApiError):
            return error_code(self.error)
        return describe_error(self.error)


@dataclass(frozen=True)
class Delivery:
    """Where one keyed message goes, and the tag that lets a retry recognise it."""

    workspace_id: str
    key: str
    kind: str
    channel: str
    event_type: str


@metrics.observed_delivery
def post_once(
    sessions: sessionmaker[Session],
    client: WebClient,
    delivery: Delivery,
    render: Callable[[], Message | None],
    now: datetime,
    *,
    worker: str = ledger.WORKER_ID,
    still_owed: Callable[[Session], bool] | None = None,
    conversation: Callable[[], str | None] | None = None,
) -> Posted:
    """Claim, re-check and render, look for an earlier attempt, post tagged, mark.

    `render` returns None when the message is no longer owed (the meeting was cancelled, the
    commitment was closed meanwhile): the claim is then withdrawn, never sent later.

    `still_owed`, when given, is asked inside the claim's own transaction; False rolls the claim
    back whole, so the key stays free for a later tick (a weekly summary with nothing to say on
    Monday may still be owed on Tuesday). `conversation` finds the conversation ID to read back
    when `delivery.channel` is not one (a channel kept as `#name`); by default a user ID is
    looked up as the bot's DM with them.
    """
    try:
        claim = _claim(sessions, delivery, now, worker, still_owed)
    except _NothingToSay:
        return Posted(SKIPPED, detail=NOT_NOW)
    if claim is None:
        return Posted(SKIPPED, detail="already sent or being sent")
    try:
        return _send_claimed(sessions, client, delivery, render, now, claim, conversation)
    except Exception as error:  # a bug must not leave the claim blocking retries for a lease
        _mark_failed(sessions, delivery, repr(error))
        raise


class _NothingToSay(Exception):
    """Raised inside the claim's transaction to roll it back whole (`still_owed` said no)."""


def _claim(
    sessions: sessionmaker[Session],
    delivery: Delivery,
    now: datetime,
    worker: str,
    still_owed: Callable[[Session], bool] | None,
) -> ledger.Claim | None:
    if still_owed is None:
        return ledger.claim(
            sessions,
            workspace_id=delivery.workspace_id,
            key=delivery.key,
            kind=delivery.kind,
            recipient=delivery.channel,
            now=now,
            worker=worker,
        )
    with transaction(sessions) as session:
        won = ledger.claim_in(
            session,
            workspace_id=delivery.workspace_id,
            keys=[delivery.key],
            kind=delivery.kind,
            recipient=delivery.channel,
            now=now,
            worker=worker,
        )
        if delivery.key not in won:
            return None
        if not still_owed(session):
            raise _NothingToSay
        return won[delivery.key]


def _send_claimed(
    sessions: sessionmaker[Session],
    client: WebClient,
    delivery: Delivery,
    render: Callable[[], Message | None],
    now: datetime,
    claim: ledger.Claim,
    conversation: Callable[[], str | None] | None,
) -> Posted:
    message = render()
    if message is None:
        withdraw(sessions, delivery, now)
        return Posted(SKIPPED, detail="no longer owed")
    if claim.uncertain or claim.attempt > 1:
        try:
            found = _look_for_earlier_attempt(client, delivery, conversation)
        except SEND_ERRORS as error:
            return _failed(sessions, delivery, f"looking first: {describe_error(error)}", error)
        if found is not None:
            _mark_sent(sessions, delivery, now, found.channel, found.ts)
            return Posted(FOUND, channel=found.channel, ts=found.ts)
    try:
        channel, ts = _post(client, delivery, message)
    except SEND_ERRORS as error:
        return _failed(sessions, delivery, describe_error(error), error)
    _mark_sent(sessions, delivery, now, channel, ts)
    return Posted(SENT, channel=channel, ts=ts)


def _look_for_earlier_attempt(
    client: WebClient, delivery: Delivery, conversation: Callable[[], str | None] | None
) -> Found | None:
    channel_id = conversation() if conversation else conversation_id(client, delivery.channel)
    if channel_id is None:
        return None
    return find_tagged(client, channel_id, delivery.event_type, delivery.key)


def conversation_id(client: WebClient, channel: str) -> str | None:
    """History wants a conversation ID; a DM is addressed by the person's user ID."""
    if is_user_id(channel):
        return dm_channel(client, channel)
    return None if channel.startswith("#") else channel


def _post(client: WebClient, delivery: Delivery, message: Message) -> tuple[str, str]:
    unfurl = (
        {}
        if message.unfurl is None
        else {"unfurl_links": message.unfurl, "unfurl_media": message.unfurl}
    )
    response = client.chat_postMessage(
        channel=delivery.channel,
        text=as_mrkdwn(message.text),
        blocks=message.blocks,
        thread_ts=message.thread_ts,
        metadata=tag(delivery.event_type, delivery.key),
        **unfurl,
    )
    return str(response["channel"]), str(response["ts"])


def _mark_sent(
    sessions: sessionmaker[Session], delivery: Delivery, now: datetime, channel: str, ts: str
) -> None:
    ledger.mark_sent(
        sessions,
        workspace_id=delivery.workspace_id,
        key=delivery.key,
        now=now,
        channel=channel,
        message_ts=ts,
    )


def _failed(
    sessions: sessionmaker[Session], delivery: Delivery, detail: str, error: BaseException
) -> Posted:
    _mark_failed(sessions, delivery, detail)
    log.warning("%s %s not delivered, will retry: %s", delivery.kind, delivery.key, detail)
    return Posted(FAILED, detail=detail, error=error)


def _mark_failed(sessions: sessionmaker[Session], delivery: Delivery, error: str) -> None:
    ledger.mark_failed(sessions, workspace_id=delivery.workspace_id, key=delivery.key, error=error)


def withdraw(sessions: sessionmaker[Session], delivery: Delivery, now: datetime) -> None:
    """Give a claim back as cancelled: what it was for no longer wants this message."""
    _mark_failed(sessions, delivery, "withdrawn")
    ledger.cancel(sessions, workspace_id=delivery.workspace_id, key=delivery.key, now=now)
