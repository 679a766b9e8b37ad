"""Delivering the digest, exactly once per meeting and due time, through `bot.delivery.post_once`.

1. The ledger claim is the only gate: two ticks, two processes or two hosts race there, not here.
2. After claiming, the meeting is read again: a meeting cancelled or moved while the claim was
   being taken gets its key withdrawn instead of a digest.
3. A retry or a takeover from a crashed sender first looks for the message tagged with the key in
   the channel, because the previous attempt may have reached Slack though its answer never came.
4. Slack errors (429, 5xx, timeouts) mark the delivery failed; the next tick retries it.

`/voc digest` goes the same way under a key of its own, so a 500 after Slack stored the message
is found rather than posted twice. Asked for within the next meeting's lead window, it stands in
for that meeting's scheduled digest, which is then not posted again. The Slack client given here
must not retry posts on its own (see `slack_client.delivery_client`): a transport retry cannot
tell a lost request from a lost answer, the ledger can.
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from slack_sdk import WebClient

from bot.charts import trend_chart_png
from bot.delivery import ledger
from bot.delivery.jobs import Delivered, DueItem
from bot.delivery.post import (
    FAILED,
    SENT,
    SKIPPED,
    Delivery,
    Message,
    post_now,
    post_once,
    without_reposts,
)
from bot.delivery.tagged import SEND_ERRORS, describe_error
from bot.digests.build import DueDigest, build_digest, due_digests, still_owed
from bot.digests.model import Digest
from bot.digests.queries import account_of_meeting, mark_digest_posted
from bot.directory import Directory, TtlCache
from bot.meetings.queries import meeting_by_id, next_meeting
from bot.meetings.rules import DIGEST_KIND, digest_due_at, digest_window_opens
from bot.runtime import Runtime
from bot.views.digest import digest_blocks, digest_fallback_text
from storage.db import transaction
from storage.models import Account

log = logging.getLogger(__name__)

JOB_NAME = "digest"
DIGEST_EVENT_TYPE = "voc_digest"
NOW_KIND = f"{DIGEST_KIND}_now"


# --- the scheduler's job -------------------------------------------------------------------------


def find_due(runtime: Runtime, now: datetime) -> list[DueItem]:
    """The job's read-only half: every digest owed now, described for the tick report."""
    with runtime.sessions() as session:
        owed = due_digests(session, now, runtime.settings)
    return [
        DueItem(
            job=JOB_NAME,
            key=due.key,
            workspace_id=due.workspace_id,
            description=(
                f"digest for {due.account} (meeting {due.starts_at.isoformat()}) "
                f"to {due.channel or 'no channel'}"
            ),
            payload=due,
        )
        for due in owed
    ]


def deliver(runtime: Runtime, client: WebClient, item: DueItem, now: datetime) -> Delivered:
    return deliver_digest(runtime, client, item.payload, now)


# --- the scheduled digest ------------------------------------------------------------------------


class _ScheduledDigest:
    """`post_once`'s render: the digest as the meeting is at the moment of sending, or None."""

    def __init__(self, runtime: Runtime, due: DueDigest, now: datetime, people: Directory) -> None:
        self.runtime, self.due, self.now, self.people = runtime, due, now, people
        self.digest: Digest | None = None
        self.withdrawn = False

    def __call__(self) -> Message | None:
        with self.runtime.sessions() as session:
            meeting = meeting_by_id(session, self.due.meeting_id)
            if not still_owed(meeting, self.due, self.now):
                self.withdrawn = True
                return None
            assert meeting is not None
            account = account_of_meeting(session, meeting)
            assert account is not None
            digest = build_digest(session, account, meeting, now=self.now)
        self.digest = digest.with_people(self.people.shown)
        return digest_message(self.digest, self.runtime.settings.tz)


def deliver_digest(
    runtime: Runtime,
    client: WebClient,
    due: DueDigest,
    now: datetime,
    *,
    worker: str = ledger.WORKER_ID,
) -> Delivered:
    """Post one meeting's digest unless it is already posted; safe to call from anywhere."""
    channel = due.channel
    if not channel:
        return Delivered("skipped", "no channel: set the account's channel")
    render = _ScheduledDigest(runtime, due, now, Directory(client, due.workspace_id, TtlCache()))
    posted = post_once(
        runtime.sessions,
        client,
        Delivery(due.workspace_id, due.key, DIGEST_KIND, channel, DIGEST_EVENT_TYPE),
        render,
        now,
        worker=worker,
        conversation=lambda: _channel_id(client, due.workspace_id, channel),
    )
    if posted.outcome == SKIPPED:
        if render.withdrawn:
            return Delivered("skipped", "meeting cancelled or moved meanwhile")
        _copy_sent_delivery_to_meeting(runtime, due, now)
        return Delivered("skipped", "already posted or being posted")
    if posted.outcome == FAILED:
        return Delivered("failed", posted.detail)
    _mark_meeting_posted(runtime, due, posted.ts, now)
    if posted.outcome == SENT and render.digest is not None and posted.channel and posted.ts:
        upload_trend_chart(client, render.digest, posted.channel, posted.ts)
    return Delivered(posted.outcome)


def _mark_meeting_posted(runtime: Runtime, due: DueDigest, ts: str | None, now: datetime) -> None:
    """Only if the meeting still owes this very digest: a move since then owes a new one."""
    with transaction(runtime.sessions) as session:
        mark_digest_posted(session, due.meeting_id, due.starts_at, due.due_at, at=now, ts=ts)


def _copy_sent_delivery_to_meeting(runtime: Runtime, due: DueDigest, now: datetime) -> None:
    """A sender that died between the ledger and the meeting row left the meeting looking unsent;
    the ledger knows better, so the meeting stops showing up as due."""
    with runtime.sessions() as session:
        row = ledger.sent_row(session, workspace_id=due.workspace_id, key=due.key)
    if row is not None:
        _mark_meeting_posted(runtime, due, row.message_ts, row.sent_at or now)


# --- /voc digest ---------------------------------------------------------------------------------


def post_digest_now(
    runtime: Runtime,
    client: WebClient,
    account: Account,
    *,
    channel: str | None,
    fallback_channel: str | None,
    now: datetime,
    people: Directory | None = None,
) -> tuple[str, str]:
    """`/voc digest`: the digest for the account's next review, posted now, chart included.

    `people` is the requester's directory, whose cache the request shares; the team and owners
    are shown through it as mentions.

    Goes to the channel asked for, else the meeting's or account's, else where it was asked.
    Asked for once the next meeting's lead window has opened, it is that meeting's digest and
    the scheduled one is not posted; before then the scheduled one still follows. A
    transient failure is retried at once, looking first, under the same key; Slack's error is
    raised when it still fails (the person is told what Slack said).
    """
    with runtime.sessions() as session:
        digest = build_digest(session, account, next_meeting(session, account.id, now), now=now)
    people = people or Directory(client, account.workspace_id, TtlCache())
    digest = digest.with_people(people.shown)
    target = channel or digest.channel or fallback_channel
    if not target:
        raise ValueError("no channel to post the digest in")
    sender = without_reposts(client)
    delivery = Delivery(
        account.workspace_id,
        f"{DIGEST_KIND}-now:{account.id}:{now.isoformat()}",
        NOW_KIND,
        target,
        DIGEST_EVENT_TYPE,
    )
    message = digest_message(digest, runtime.settings.tz)
    posted = post_now(
        runtime.sessions,
        sender,
        delivery,
        lambda: message,
        now,
        conversation=lambda: _channel_id(sender, account.workspace_id, target),
    )
    if posted.delivered and posted.channel and posted.ts:
        _answer_for_scheduled(runtime, digest, posted.ts, now)
        upload_trend_chart(sender, digest, posted.channel, posted.ts)
        return posted.channel, posted.ts
    if posted.error is not None:
        raise posted.error
    raise RuntimeError(f"digest {delivery.key} not posted: {posted.detail}")


def _answer_for_scheduled(runtime: Runtime, digest: Digest, ts: str, now: datetime) -> None:
    """Inside the meeting's lead window, the digest asked for is the meeting's digest: the
    scheduled one would repeat it hours later, so the meeting is marked as having had it.
    Earlier than that the figures may still change, and the scheduled digest stays owed."""
    if digest.meeting_id is None or digest.starts_at is None:
        return
    settings = runtime.settings
    if now < digest_window_opens(digest.starts_at, settings):
        return
    due_at = digest_due_at(digest.starts_at, settings)
    with transaction(runtime.sessions) as session:
        mark_digest_posted(session, digest.meeting_id, digest.starts_at, due_at, at=now, ts=ts)


# --- shared ---------------------------------------------------------------------------------------


def digest_message(digest: Digest, tz: ZoneInfo) -> Message:
    return Message(
        text=digest_fallback_text(digest, tz), blocks=digest_blocks(digest, tz), unfurl=False
    )


def _channel_id(client: WebClient, workspace_id: str, channel: str) -> str | None:
    """Rosters may name channels as `#acct-acme`; reading history needs the ID."""
    return Directory(client, workspace_id, TtlCache()).channel_id(channel)


def upload_trend_chart(client: WebClient, digest: Digest, channel: str, ts: str) -> bool:
    """The chart as a thread reply; best effort, the digest itself is what must arrive.

    Nothing here may fail the delivery: the digest is already posted and marked sent.
    """
    if not digest.has_trend_chart:
        return False
    report = digest.report
    try:
        client.files_upload_v2(
            channel=channel,
            thread_ts=ts,
            content=trend_chart_png(report),
            filename=f"trend-{report.account_id}.png",
            title=f"{report.account}: trend by cycle",
        )
    except SEND_ERRORS as error:
        log.warning("trend chart for digest %s not uploaded: %s", ts, describe_error(error))
        return False
    except Exception:
        log.exception("trend chart for digest %s could not be drawn", ts)
        return False
    return True
