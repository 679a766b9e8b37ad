"""The pre-meeting digest: what the account team needs to walk into a customer review.

Built from the same `AccountReport` as `/voc account`, plus what was promised at the previous
review. Delivered through the ledger, exactly once per meeting and due time:

1. `ledger.claim` is the only gate: two ticks, two processes or two hosts race there, not here.
2. After claiming, the meeting is read again: a meeting cancelled or moved while the claim was
   being taken gets its key withdrawn instead of a digest.
3. A retry (`attempt > 1`) or a takeover from a crashed sender (`uncertain`) first looks for the
   message tagged with the key in the channel (`conversations.history`), because the previous
   attempt may have reached Slack even though its answer never came back.
4. Slack errors (429, 5xx, timeouts) mark the delivery failed; the next tick retries it.

The Slack client given here must not retry posts on its own (see `slack_client.delivery_client`):
a transport retry cannot tell a lost request from a lost answer, the ledger can.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from bot.charts import trend_chart_png
from bot.delivery import ledger
from bot.directory import Directory, TtlCache
from bot.meetings.queries import next_meeting, previous_meeting
from bot.meetings.rules import DIGEST_KIND, digest_key
from bot.reports.assemble import build_account_report
from bot.reports.model import AccountReport
from bot.runtime import Runtime
from bot.views.digest import digest_blocks, digest_fallback_text
from storage.db import transaction
from storage.models import Account, Commitment, Delivery, Meeting

log = logging.getLogger(__name__)

DIGEST_EVENT_TYPE = "voc_digest"
HISTORY_LOOKBACK = 200
SEND_ERRORS = (SlackClientError, OSError)
_PERMANENT_LOOKUP_ERRORS = frozenset(
    {"not_in_channel", "missing_scope", "channel_not_found", "not_authed", "invalid_auth"}
)


@dataclass(frozen=True)
class ReviewedCommitment:
    """A promise as the review meeting should hear about it: done or not, and by whom."""

    id: int
    text: str
    owner: str
    due: date | None
    status: str
    done_at: datetime | None
    area: str

    @property
    def is_open(self) -> bool:
        return self.status == "open"


@dataclass(frozen=True)
class Digest:
    """Everything the digest message shows; rendering lives in `bot.views.digest`."""

    report: AccountReport
    meeting_id: int | None
    starts_at: datetime | None
    channel: str | None
    previous_meeting_at: datetime | None
    since_last: list[ReviewedCommitment]
    older_open: list[ReviewedCommitment] = field(default_factory=list)
    now: datetime | None = None

    @property
    def has_trend_chart(self) -> bool:
        """A trend needs two points; one cycle is a dot, not a chart."""
        return self.report.current is not None and len(self.report.trend) >= 2


@dataclass(frozen=True)
class DueDigest:
    """A digest the scheduler owes now, as a tick report names it."""

    meeting_id: int
    workspace_id: str
    due_at: datetime
    account: str
    channel: str | None
    starts_at: datetime

    @property
    def key(self) -> str:
        return digest_key(self.meeting_id, self.due_at)


@dataclass(frozen=True)
class DigestDelivery:
    """What one attempt did: `sent`, `found` (an earlier attempt had posted it), `failed`,
    or `skipped` (already sent, being sent elsewhere, withdrawn, or nowhere to post)."""

    outcome: str
    channel: str | None = None
    ts: str | None = None
    detail: str | None = None


# --------------------------------------------------------------------------------------------
# Building


def build_digest(
    session: Session, account: Account, meeting: Meeting | None, *, now: datetime
) -> Digest:
    """The digest for a meeting, or for the account's next review when asked on demand."""
    before = min(meeting.starts_at, now) if meeting is not None else now
    previous = previous_meeting(
        session, account.id, before, exclude=meeting.id if meeting is not None else None
    )
    since_last, older_open = _commitments_for_review(session, account.id, previous)
    return Digest(
        report=build_account_report(session, account, now=now),
        meeting_id=meeting.id if meeting is not None else None,
        starts_at=meeting.starts_at if meeting is not None else None,
        channel=(meeting.channel if meeting is not None else None) or account.channel,
        previous_meeting_at=previous.starts_at if previous is not None else None,
        since_last=since_last,
        older_open=older_open,
        now=now,
    )


def _commitments_for_review(
    session: Session, account_id: int, previous: Meeting | None
) -> tuple[list[ReviewedCommitment], list[ReviewedCommitment]]:
    """(made at, or made or kept since, the last review; still open from before it).

    Without a previous review, every open commitment is "since last time". Read here directly
    until `bot.commitments.commitments_since`/`commitments_for_meeting` are on main.
    """
    query = select(Commitment).where(Commitment.account_id == account_id)
    if previous is None:
        rows = session.scalars(query.where(Commitment.status == "open")).all()
        return _review_order(rows), []
    since = previous.starts_at
    at_or_since = or_(
        Commitment.meeting_id == previous.id,
        Commitment.created_at >= since,
        Commitment.done_at >= since,
    )
    from_before = (
        (Commitment.status == "open")
        & (Commitment.created_at < since)
        & or_(Commitment.meeting_id.is_(None), Commitment.meeting_id != previous.id)
    )
    reviewed = session.scalars(query.where(at_or_since)).all()
    older = session.scalars(query.where(from_before)).all()
    return _review_order(reviewed), _review_order(older)


def _review_order(rows: Any) -> list[ReviewedCommitment]:
    """Open first by due date (the meeting must hear about those), then the rest as done."""
    items = [
        ReviewedCommitment(
            row.id, row.text, row.owner, row.due_on, row.status, row.done_at, row.area
        )
        for row in rows
    ]
    return sorted(items, key=lambda c: (not c.is_open, c.due is None, c.due or date.max, c.id))


# --------------------------------------------------------------------------------------------
# What is due


def due_digests(session: Session, now: datetime) -> list[DueDigest]:
    """Meetings whose digest is due, not yet posted, and still ahead: one indexed query."""
    rows = session.execute(
        select(Meeting, Account.name, Account.channel)
        .join(Account, Account.id == Meeting.account_id)
        .where(
            Meeting.status == "scheduled",
            Meeting.digest_due_at <= now,
            Meeting.digest_posted_at.is_(None),
            Meeting.starts_at > now,
        )
        .order_by(Meeting.digest_due_at, Meeting.id)
    ).all()
    return [
        DueDigest(
            meeting_id=meeting.id,
            workspace_id=meeting.workspace_id,
            due_at=meeting.digest_due_at,
            account=name,
            channel=meeting.channel or channel,
            starts_at=meeting.starts_at,
        )
        for meeting, name, channel in rows
    ]


def _still_owed(meeting: Meeting | None, due: DueDigest, now: datetime) -> bool:
    return (
        meeting is not None
        and meeting.status == "scheduled"
        and meeting.digest_posted_at is None
        and meeting.digest_due_at == due.due_at
        and due.due_at <= now < meeting.starts_at
    )


# --------------------------------------------------------------------------------------------
# Delivering


def deliver_digest(
    runtime: Runtime,
    client: WebClient,
    due: DueDigest,
    now: datetime,
    *,
    worker: str = ledger.WORKER_ID,
) -> DigestDelivery:
    """Post one meeting's digest unless it is already posted; safe to call from anywhere."""
    sessions = runtime.sessions
    channel = due.channel
    if not channel:
        return DigestDelivery("skipped", detail="no channel: set the account's channel")
    claim = ledger.claim(
        sessions,
        workspace_id=due.workspace_id,
        key=due.key,
        kind=DIGEST_KIND,
        recipient=channel,
        now=now,
        worker=worker,
    )
    if claim is None:
        _copy_sent_delivery_to_meeting(runtime, due, now)
        return DigestDelivery("skipped", detail="already posted or being posted")
    try:
        look_first = claim.uncertain or claim.attempt > 1
        return _send_claimed(runtime, client, due, channel, now, look_first=look_first)
    except Exception as error:  # a bug must not leave the claim blocking retries for a lease
        ledger.mark_failed(sessions, workspace_id=due.workspace_id, key=due.key, error=repr(error))
        raise


def _send_claimed(
    runtime: Runtime,
    client: WebClient,
    due: DueDigest,
    channel: str,
    now: datetime,
    *,
    look_first: bool,
) -> DigestDelivery:
    with runtime.sessions() as session:
        meeting = session.get(Meeting, due.meeting_id)
        if not _still_owed(meeting, due, now):
            _withdraw(runtime, due, now)
            return DigestDelivery("skipped", detail="meeting cancelled or moved meanwhile")
        assert meeting is not None
        account = session.get(Account, meeting.account_id)
        assert account is not None
        digest = build_digest(session, account, meeting, now=now)
    if look_first:
        try:
            found = find_tagged_message(client, due.workspace_id, channel, due.key)
        except SEND_ERRORS as error:
            return _failed(runtime, due, f"looking for an earlier attempt: {describe_error(error)}")
        if found is not None:
            _record_sent(runtime, due, found[0], found[1], now)
            return DigestDelivery("found", channel=found[0], ts=found[1])
    try:
        posted_in, ts = post_digest(client, digest, channel, runtime.settings.tz, key=due.key)
    except SEND_ERRORS as error:
        return _failed(runtime, due, describe_error(error))
    _record_sent(runtime, due, posted_in, ts, now)
    upload_trend_chart(client, digest, posted_in, ts)
    return DigestDelivery("sent", channel=posted_in, ts=ts)


def _failed(runtime: Runtime, due: DueDigest, error: str) -> DigestDelivery:
    ledger.mark_failed(runtime.sessions, workspace_id=due.workspace_id, key=due.key, error=error)
    log.warning("digest %s not posted, will retry: %s", due.key, error)
    return DigestDelivery("failed", detail=error)


def _withdraw(runtime: Runtime, due: DueDigest, now: datetime) -> None:
    """Give the claim back as cancelled: the meeting no longer wants this digest."""
    sessions = runtime.sessions
    ledger.mark_failed(sessions, workspace_id=due.workspace_id, key=due.key, error="withdrawn")
    ledger.cancel(sessions, workspace_id=due.workspace_id, key=due.key, now=now)


def _record_sent(runtime: Runtime, due: DueDigest, channel: str, ts: str, now: datetime) -> None:
    ledger.mark_sent(
        runtime.sessions,
        workspace_id=due.workspace_id,
        key=due.key,
        now=now,
        channel=channel,
        message_ts=ts,
    )
    _mark_meeting_posted(runtime, due, ts, now)


def _mark_meeting_posted(runtime: Runtime, due: DueDigest, ts: str | None, now: datetime) -> None:
    """Only if the meeting still owes this very digest: a move since then owes a new one."""
    with transaction(runtime.sessions) as session:
        session.execute(
            update(Meeting)
            .where(
                Meeting.id == due.meeting_id,
                Meeting.digest_due_at == due.due_at,
                Meeting.digest_posted_at.is_(None),
            )
            .values(digest_posted_at=now, digest_ts=ts)
        )


def _copy_sent_delivery_to_meeting(runtime: Runtime, due: DueDigest, now: datetime) -> None:
    """A sender that died between the ledger and the meeting row left the meeting looking unsent;
    the ledger knows better, so the meeting stops showing up as due."""
    with runtime.sessions() as session:
        row = session.execute(
            select(Delivery.status, Delivery.message_ts, Delivery.sent_at).where(
                Delivery.workspace_id == due.workspace_id, Delivery.delivery_key == due.key
            )
        ).first()
    if row is not None and row.status == "sent":
        _mark_meeting_posted(runtime, due, row.message_ts, row.sent_at or now)


def find_tagged_message(
    client: WebClient, workspace_id: str, channel: str, key: str
) -> tuple[str, str] | None:
    """(channel id, ts) of a recent message tagged with `key`, if an earlier attempt posted it.

    Permanent errors (the bot may not read the channel) mean nobody can know: post rather than
    stay silent. Transient ones are raised so the delivery is retried later.
    """
    channel_id = Directory(client, workspace_id, TtlCache()).channel_id(channel)
    if channel_id is None:
        return None
    try:
        response = client.conversations_history(
            channel=channel_id, limit=HISTORY_LOOKBACK, include_all_metadata=True
        )
    except SlackApiError as error:
        if error.response.get("error") in _PERMANENT_LOOKUP_ERRORS:
            log.warning("cannot read %s to check for an earlier digest: %s", channel, error)
            return None
        raise
    for message in response.get("messages") or []:
        metadata = message.get("metadata") or {}
        payload = metadata.get("event_payload") or {}
        if metadata.get("event_type") == DIGEST_EVENT_TYPE and payload.get("key") == key:
            return channel_id, str(message["ts"])
    return None


def post_digest(
    client: WebClient, digest: Digest, channel: str, tz: ZoneInfo, *, key: str
) -> tuple[str, str]:
    """Post the digest tagged with its key; returns (channel id, ts)."""
    response = client.chat_postMessage(
        channel=channel,
        text=digest_fallback_text(digest, tz),
        blocks=digest_blocks(digest, tz),
        metadata={"event_type": DIGEST_EVENT_TYPE, "event_payload": {"key": key}},
        unfurl_links=False,
        unfurl_media=False,
    )
    return str(response["channel"]), str(response["ts"])


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


def post_digest_now(
    runtime: Runtime,
    client: WebClient,
    account: Account,
    *,
    channel: str | None,
    fallback_channel: str | None,
    now: datetime,
) -> tuple[str, str]:
    """`/voc digest`: the digest for the account's next review, posted now, chart included.

    Goes to the channel asked for, else the meeting's or account's, else where it was asked.
    Requested by a person, so it is neither the scheduled digest nor a replacement for it.
    """
    with runtime.sessions() as session:
        digest = build_digest(session, account, next_meeting(session, account.id, now), now=now)
    target = channel or digest.channel or fallback_channel
    if not target:
        raise ValueError("no channel to post the digest in")
    key = f"{DIGEST_KIND}-now:{account.id}:{now.isoformat()}"
    posted_in, ts = post_digest(client, digest, target, runtime.settings.tz, key=key)
    upload_trend_chart(client, digest, posted_in, ts)
    return posted_in, ts


def describe_error(error: BaseException) -> str:
    """Slack's error code and HTTP status when there is one: what an operator can act on."""
    if isinstance(error, SlackApiError):
        response = error.response
        return f"Slack answered {response.status_code} {response.get('error') or ''}".strip()
    return f"{type(error).__name__}: {error}"
