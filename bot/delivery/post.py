"""`post_once`: one message, exactly once, whoever and however often asks for it.

`post_now` is the same for someone waiting on the answer (a capture, `/voc digest`): Slack's
passing trouble is retried at once under the same key, looking first, so a 500 after Slack
stored the message is found rather than posted again. Posts are made without the client's own
retries after a 5xx or a dropped connection (`without_reposts`): only the ledger can tell a lost
request from a lost answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
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
NOW_ATTEMPTS = 3  # the first and the two a person's client used to make after a 5xx
SLACK_TROUBLE = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)

Recorder = Callable[[Session, str, str], None]


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
    worker: str | None = None,
    still_owed: Callable[[Session], bool] | None = None,
    conversation: Callable[[], str | None] | None = None,
    record: Recorder | None = None,
) -> Posted:
    """Claim, re-check and render, look for an earlier attempt, post tagged, mark.

    `render` returns None when the message is no longer owed (the meeting was cancelled, the
    commitment was closed meanwhile): the claim is then withdrawn, never sent later.

    `still_owed`, when given, is asked inside the claim's own transaction; False rolls the claim
    back whole, so the key stays free for a later tick (a weekly summary with nothing to say on
    Monday may still be owed on Tuesday). `conversation` finds the conversation ID to read back
    when `delivery.channel` is not one (a channel kept as `#name`); by default a user ID is
    looked up as the bot's DM with them. `record(session, channel, ts)` keeps the caller's own
    copy of where the message is (a commitment's ts, which reactions are matched against) in
    the transaction that marks the key sent: a process dying between the two cannot lose it.
    """
    try:
        claim = _claim(sessions, delivery, now, worker, still_owed)
    except _NothingToSay:
        return Posted(SKIPPED, detail=NOT_NOW)
    if claim is None:
        return Posted(SKIPPED, detail="already sent or being sent")
    try:
        sender = _Sender(sessions, without_reposts(client), delivery, now, conversation, record)
        return sender.send_claimed(render, claim)
    except Exception as error:  # a bug must not leave the claim blocking retries for a lease
        _mark_failed(sessions, delivery, repr(error))
        raise


class _NothingToSay(Exception):
    """Raised inside the claim's transaction to roll it back whole (`still_owed` said no)."""


def _claim(
    sessions: sessionmaker[Session],
    delivery: Delivery,
    now: datetime,
    worker: str | None,
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


@dataclass(frozen=True)
class _Sender:
    """One claimed delivery's steps after the claim: render, look first, post, mark."""

    sessions: sessionmaker[Session]
    client: WebClient
    delivery: Delivery
    now: datetime
    conversation: Callable[[], str | None] | None
    record: Recorder | None

    def send_claimed(self, render: Callable[[], Message | None], claim: ledger.Claim) -> Posted:
        message = render()
        if message is None:
            withdraw(self.sessions, self.delivery, self.now)
            return Posted(SKIPPED, detail="no longer owed")
        if claim.uncertain or claim.attempt > 1:
            try:
                found = self.look_for_earlier_attempt(message.thread_ts)
            except SEND_ERRORS as error:
                detail = f"looking first: {describe_error(error)}"
                return _failed(self.sessions, self.delivery, detail, error)
            if found is not None:
                self.mark_sent(found.channel, found.ts)
                return Posted(FOUND, channel=found.channel, ts=found.ts)
        try:
            channel, ts = _post(self.client, self.delivery, message)
        except SEND_ERRORS as error:
            return _failed(self.sessions, self.delivery, describe_error(error), error)
        self.mark_sent(channel, ts)
        return Posted(SENT, channel=channel, ts=ts)

    def look_for_earlier_attempt(self, thread_ts: str | None) -> Found | None:
        channel = self.delivery.channel
        channel_id = (
            self.conversation() if self.conversation else conversation_id(self.client, channel)
        )
        if channel_id is None:
            return None
        return find_tagged(
            self.client, channel_id, self.delivery.event_type, self.delivery.key, thread_ts
        )

    def mark_sent(self, channel: str, ts: str) -> None:
        with transaction(self.sessions) as session:
            ledger.mark_sent_in(
                session,
                workspace_id=self.delivery.workspace_id,
                keys=[self.delivery.key],
                now=self.now,
                channel=channel,
                message_ts=ts,
            )
            if self.record is not None:
                self.record(session, channel, ts)


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


def without_reposts(client: WebClient) -> WebClient:
    """The client without its retries after a 5xx or a dropped connection, which may post
    twice; the ledger retries instead. A 429 means Slack stored nothing, so it still waits."""
    if not client.retry_handlers or all(
        isinstance(handler, RateLimitErrorRetryHandler) for handler in client.retry_handlers
    ):
        return client
    return WebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        ssl=client.ssl,
        proxy=client.proxy,
        headers=dict(client.headers),
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=3)],
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


def post_now(
    sessions: sessionmaker[Session],
    client: WebClient,
    delivery: Delivery,
    render: Callable[[], Message | None],
    now: datetime,
    *,
    conversation: Callable[[], str | None] | None = None,
    record: Recorder | None = None,
    attempts: int = NOW_ATTEMPTS,
) -> Posted:
    """`post_once` for someone waiting: Slack's passing trouble is retried at once, looking
    first, under the same key; a refusal (`not_in_channel`, a 4xx) is answered as it is. What
    still fails stays owed in the ledger for a later tick (`ledger.owe_in` made it owed)."""
    posted = Posted(FAILED, detail="not attempted")
    for _ in range(max(attempts, 1)):
        posted = post_once(
            sessions, client, delivery, render, now, conversation=conversation, record=record
        )
        if not worth_retrying(posted):
            break
    return posted


def worth_retrying(posted: Posted) -> bool:
    """A refusal stays a refusal; Slack's own trouble (a 5xx, or an `internal_error` it answers
    with 200) or a lost connection may pass on the next attempt."""
    if posted.outcome != FAILED:
        return False
    error = posted.error
    if isinstance(error, SlackApiError):
        return error.response.status_code >= 500 or error_code(error) in SLACK_TROUBLE
    return error is not None


def tell_once(
    sessions: sessionmaker[Session],
    client: WebClient,
    delivery: Delivery,
    text: str,
    now: datetime,
    blocks: list[dict[str, Any]] | None = None,
) -> Posted:
    """A one-off message for someone waiting (a confirmation DM, a progress message), posted
    once under its key however Slack answers: the same steps as every keyed message."""
    return post_now(sessions, client, delivery, lambda: Message(text, blocks, unfurl=None), now)
