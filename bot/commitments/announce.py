"""What the bot says in Slack about a commitment.

Announcing posts the commitment as its own message in the account channel (the message people
react to), tells the owner by DM and, when the area has a function channel, announces it there.
Each of the three — the one-per-person refusal under a message and the thread reply after a
change too — is a keyed delivery (`bot.delivery.post`), so announcing twice never doubles a
message and a retry looks for its tagged message before posting again. The channel post and the
owner's DM are owed in the transaction that saves the commitment (`owe_announcement`, an
outbox): what a dying process or a failing Slack left unsent, the scheduler's
`commitment_announce` job sends later (`find_due`, `deliver`), recording the message's ts so a
reaction on it completes the commitment. A failed channel post leaves the commitment saved and
says why, in Slack's words, for the person who logged it.

Refreshing the channel message is not keyed: a refresh only ever shows the current state.
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
from bot.delivery import ledger
from bot.delivery.post import FAILED, Delivery, Message, Posted, post_now, post_once
from bot.delivery.tagged import error_code
from bot.views import commitments as views
from storage.models import Account, Commitment

log = logging.getLogger(__name__)

EVENT_TYPE = "voc_commitment"
REFRESH_ROUNDS = 3
POST_KIND = "commitment"
OWNER_KIND = "commitment_dm"
REPLY_KIND = "commitment_reply"


def post_key(commitment_id: int) -> str:
    return f"commitment:{commitment_id}:post"


def owner_key(commitment_id: int) -> str:
    return f"commitment:{commitment_id}:owner"


def reply_key(commitment_id: int, version: int) -> str:
    return f"commitment:{commitment_id}:change:{version}"


def owe_announcement(
    session: Session, workspace_id: str, saved: list[Commitment], now: datetime
) -> None:
    """Owe each saved commitment's channel post and owner DM in the transaction that saves it.

    Whatever happens to the process afterwards, the scheduler finds them owed and sends them;
    nobody is told by DM of what they logged themselves (an owner named by email is recognised
    at sending time, and the DM withdrawn then).
    """
    for kind, key_of, where in (
        (POST_KIND, post_key, lambda row: row.channel),
        (OWNER_KIND, owner_key, lambda row: row.owner if row.owner != row.created_by else None),
    ):
        owed = {key_of(row.id): where(row) for row in saved if where(row)}
        ledger.owe_in(session, workspace_id=workspace_id, recipients=owed, kind=kind, now=now)


def announce_commitment(
    sessions: sessionmaker[Session], slack: SlackWorkspace, commitment_id: int, *, now: datetime
) -> Announcement:
    """Post it in its channel, DM its owner, tell its function; each at most once."""
    row, account = queries.commitment_and_account(sessions, commitment_id)
    if row is None or account is None:
        _withdraw(sessions, slack.workspace_id, commitment_id, now)
        return Announcement(commitment_id, post_error="commitment_not_found")
    done: list[str] = []
    channel, ts, post_error = _post_in_channel(sessions, slack, row, account.name, now, done)
    if ts is not None:
        row.channel, row.message_ts = channel, ts
    link = _permalink(slack.client, channel, ts)
    owner_error = _tell_owner(sessions, slack, row, account.name, link, now, done)
    area_channel, area_error = _tell_area(sessions, slack, row, account.name, link, now, done)
    return Announcement(
        commitment_id=commitment_id,
        owner=row.owner,
        channel=channel,
        message_ts=ts,
        post_error=post_error,
        owner_error=owner_error,
        area_channel=area_channel,
        area_error=area_error,
        delivered=tuple(done),
    )


def _post_in_channel(
    sessions: sessionmaker[Session],
    slack: SlackWorkspace,
    row: Commitment,
    account_name: str,
    now: datetime,
    done: list[str],
) -> tuple[str | None, str | None, str | None]:
    """(channel id, ts, error). The ts is what later reactions are matched against."""
    if row.message_ts:
        return row.channel, row.message_ts, None
    if not row.channel:
        ledger.cancel(sessions, workspace_id=slack.workspace_id, key=post_key(row.id), now=now)
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

    def record(session: Session, channel: str, ts: str) -> None:
        queries.set_message_in(session, row.id, channel, ts)

    delivery = Delivery(slack.workspace_id, post_key(row.id), POST_KIND, target, EVENT_TYPE)
    posted = post_now(sessions, slack.client, delivery, render, now, record=record)
    _noted(done, "post", posted)
    if not posted.delivered or posted.channel is None or posted.ts is None:
        return row.channel, None, posted.code
    return posted.channel, posted.ts, None


def _tell_owner(
    sessions: sessionmaker[Session],
    slack: SlackWorkspace,
    row: Commitment,
    account_name: str,
    link: str | None,
    now: datetime,
    done: list[str],
) -> str | None:
    """The owner hears it by DM, with a Done button; None when told, else why not.

    Not when the owner logged it themselves: they know, and a DM about their own action is noise.
    """
    owner_id = slack.directory.user_id_of(row.owner)
    if owner_id is None or owner_id == slack.directory.user_id_of(row.created_by):
        ledger.cancel(sessions, workspace_id=slack.workspace_id, key=owner_key(row.id), now=now)
        return "owner_not_in_slack" if owner_id is None else None

    def render() -> Message:
        text, blocks = views.owner_dm(
            row, account_name, link, slack.settings.done_reaction, slack.settings.tz, owner=owner_id
        )
        return Message(text, blocks, unfurl=None)

    delivery = Delivery(slack.workspace_id, owner_key(row.id), OWNER_KIND, owner_id, EVENT_TYPE)
    posted = post_now(sessions, slack.client, delivery, render, now)
    return _error_of(_noted(done, "owner DM", posted))


def _tell_area(
    sessions: sessionmaker[Session],
    slack: SlackWorkspace,
    row: Commitment,
    account_name: str,
    link: str | None,
    now: datetime,
    done: list[str],
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
    delivery = Delivery(slack.workspace_id, key, "commitment_area", area_channel, EVENT_TYPE)
    posted = _noted(done, "area", post_now(sessions, slack.client, delivery, render, now))
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


def _withdraw(
    sessions: sessionmaker[Session], workspace_id: str, commitment_id: int, now: datetime
) -> None:
    """A commitment deleted before it was announced owes nothing any more."""
    for key in (post_key(commitment_id), owner_key(commitment_id)):
        ledger.cancel(sessions, workspace_id=workspace_id, key=key, now=now)


def _noted(done: list[str], what: str, posted: Posted) -> Posted:
    """Keep what this attempt sent or found (`owner DM found`), for the scheduler's log."""
    if posted.delivered:
        done.append(f"{what} {posted.outcome}")
    return posted


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


def reply_in_thread(
    sessions: sessionmaker[Session],
    slack: SlackWorkspace,
    row: Commitment,
    text: str,
    now: datetime,
    version: int | None = None,
) -> Posted | None:
    """One thread reply per change: keyed by the version the change moved the row to (by
    default the row's version now), so a 500 after Slack stored the reply is found by the retry
    rather than posted again, and one that kept failing is sent by a later tick (`outbox`)."""
    if not row.channel or not row.message_ts:
        return None
    thread_ts = row.message_ts
    changed_to = version if version is not None else queries.version_of(sessions, row.id)
    key = reply_key(row.id, changed_to or 0)
    delivery = Delivery(slack.workspace_id, key, REPLY_KIND, row.channel, EVENT_TYPE)
    posted = post_now(
        sessions,
        slack.client,
        delivery,
        lambda: Message(text, thread_ts=thread_ts, unfurl=None),
        now,
    )
    if posted.outcome == FAILED:
        log.warning("thread reply on commitment %s failed: %s", row.id, posted.code)
    return posted


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
