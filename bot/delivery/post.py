"""`post_once`: one message, exactly once, whoever and however often asks for it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, sessionmaker

from bot.core.slack import is_user_id
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

log = logging.getLogger(__name__)

SENT = "sent"
FOUND = "found"
SKIPPED = "skipped"
FAILED = "failed"


@dataclass(frozen=True)
class Message:
    """What to post: rendered at the moment of sending from what the database says then."""

    text: str
    blocks: list[dict[str, Any]] | None = None
    thread_ts: str | None = None
    unfurl: bool | None = True  # None: Slack's own defaults, as a plain chat.postMessage gets


@dataclass(frozen=True)
class Posted:
    """How a delivery ended: `sent` now, `found` from an earlier attempt, `skipped`, `failed`.

    `error` is Slack's short code when it refused (`not_in_channel`): what a person can be told.
    """

    outcome: str
    channel: str | None = None
    ts: str | None = None
    detail: str = ""
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.outcome in (SENT, FOUND)


@dataclass(frozen=True)
class Delivery:
    """Where one keyed message goes, and the tag that lets a retry recognise it."""

    workspace_id: str
    key: str
    kind: str
    channel: str
    event_type: str


def post_once(
    sessions: sessionmaker[Session],
    client: WebClient,
    delivery: Delivery,
    render: Callable[[], Message | None],
    now: datetime,
    *,
    worker: str = ledger.WORKER_ID,
) -> Posted:
    """Claim, re-check and render, look for an earlier attempt, post tagged, mark.

    `render` returns None when the message is no longer owed (the meeting was cancelled, the
    commitment was closed meanwhile): the claim is then withdrawn, never sent later.
    """
    claim = ledger.claim(
        sessions,
        workspace_id=delivery.workspace_id,
        key=delivery.key,
        kind=delivery.kind,
        recipient=delivery.channel,
        now=now,
        worker=worker,
    )
    if claim is None:
        return Posted(SKIPPED, detail="already sent or being sent")
    try:
        return _send_claimed(sessions, client, delivery, render, now, claim)
    except Exception as error:  # a bug must not leave the claim blocking retries for a lease
        _mark_failed(sessions, delivery, repr(error))
        raise


def _send_claimed(
    sessions: sessionmaker[Session],
    client: WebClient,
    delivery: Delivery,
    render: Callable[[], Message | None],
    now: datetime,
    claim: ledger.Claim,
) -> Posted:
    message = render()
    if message is None:
        withdraw(sessions, delivery, now)
        return Posted(SKIPPED, detail="no longer owed")
    if claim.uncertain or claim.attempt > 1:
        try:
            found = _look_for_earlier_attempt(client, delivery)
        except SEND_ERRORS as error:
            detail = f"looking first: {describe_error(error)}"
            return _failed(sessions, delivery, detail, _code_of(error))
        if found is not None:
            _mark_sent(sessions, delivery, now, found.channel, found.ts)
            return Posted(FOUND, channel=found.channel, ts=found.ts)
    try:
        channel, ts = _post(client, delivery, message)
    except SEND_ERRORS as error:
        return _failed(sessions, delivery, describe_error(error), _code_of(error))
    _mark_sent(sessions, delivery, now, channel, ts)
    return Posted(SENT, channel=channel, ts=ts)


def _look_for_earlier_attempt(client: WebClient, delivery: Delivery) -> Found | None:
    channel_id = conversation_id(client, delivery.channel)
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
        text=message.text,
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


def _failed(sessions: sessionmaker[Session], delivery: Delivery, error: str, code: str) -> Posted:
    _mark_failed(sessions, delivery, error)
    log.warning("%s %s not delivered, will retry: %s", delivery.kind, delivery.key, error)
    return Posted(FAILED, detail=error, error=code)


def _code_of(error: BaseException) -> str:
    return error_code(error) if isinstance(error, SlackApiError) else describe_error(error)


def _mark_failed(sessions: sessionmaker[Session], delivery: Delivery, error: str) -> None:
    ledger.mark_failed(sessions, workspace_id=delivery.workspace_id, key=delivery.key, error=error)


def withdraw(sessions: sessionmaker[Session], delivery: Delivery, now: datetime) -> None:
    """Give a claim back as cancelled: what it was for no longer wants this message."""
    _mark_failed(sessions, delivery, "withdrawn")
    ledger.cancel(sessions, workspace_id=delivery.workspace_id, key=delivery.key, now=now)
