"""Answers promised after an ack: a `/voc` command whose process died still hears back.

Slack is told "got it" within three seconds; the answer follows once the slow work is done. A
process killed in between would leave the person waiting forever, so before the slow work the
reply is recorded as owed (`owe_reply`): a ledger row claimed by this process with a lease, and
the `response_url` it goes through. `settle_reply` marks it sent once answered. When the claim's
lease runs out unanswered — or the work crashed (`give_up_reply`) — the scheduler's
`command_reply` job claims it and tells the person through the `response_url` while Slack keeps
it valid (30 minutes, five uses), or else by DM, at most one such DM per person per day of
theirs.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot.core.slack import Mrkdwn, as_mrkdwn, mrkdwn
from bot.delivery import ledger
from bot.delivery.jobs import Delivered, DueItem, owed_items
from bot.delivery.post import Delivery, Message, Posted, post_once
from bot.directory import Directory, TtlCache
from bot.runtime import Runtime

log = logging.getLogger(__name__)

KIND = "command_reply"
JOB_NAME = "command_reply"
LOST_DM_KIND = "reply_lost_dm"
EVENT_TYPE = "voc_reply"
RESPONSE_URL_LIFETIME = timedelta(minutes=30)  # Slack's; five posts at most
OWED_FOR = timedelta(days=1)
COMMAND_CHARACTERS = 300


def reply_key(trigger_id: str) -> str:
    """One key per request: Slack gives every invocation its own trigger id."""
    return f"reply:{trigger_id}"


def owe_reply(
    runtime: Runtime,
    *,
    workspace_id: str,
    key: str,
    user_id: str,
    command: str,
    response_url: str | None,
    now: datetime,
) -> bool:
    """Claim the reply for this process and record where it goes, in one transaction.

    False when the key is known already (a redelivered command): its first delivery answers.
    Every command with a slow answer pays for this before its ack, so it is two prebuilt
    statements on one connection (`ledger.claim_on`), not a session's work.
    """
    with runtime.engine.begin() as connection:
        won = ledger.claim_on(
            connection, workspace_id=workspace_id, key=key, kind=KIND, recipient=user_id, now=now
        )
        if won is None:
            return False
        if won.attempt > 1:  # known already: where it goes was recorded the first time
            return True
        ledger.record_reply_on(
            connection,
            workspace_id=workspace_id,
            key=key,
            user_id=user_id,
            command=command[:COMMAND_CHARACTERS],
            response_url=response_url,
            expires_at=now + RESPONSE_URL_LIFETIME,
            now=now,
        )
    return True


def settle_reply(runtime: Runtime, *, workspace_id: str, key: str, now: datetime) -> None:
    """Answered: nothing is owed any more. One prebuilt UPDATE, after every slow answer."""
    with runtime.engine.begin() as connection:
        ledger.mark_sent_on(connection, workspace_id=workspace_id, key=key, now=now)


def give_up_reply(runtime: Runtime, *, workspace_id: str, key: str, error: str) -> None:
    """The work crashed: the next tick tells the person rather than waiting out the lease."""
    ledger.mark_failed(runtime.sessions, workspace_id=workspace_id, key=key, error=error)


# --- the scheduler's job --------------------------------------------------------------------------


def find_due(runtime: Runtime, now: datetime) -> list[DueItem]:
    """Replies whose process died or crashed before answering (read only)."""
    return owed_items(
        runtime,
        now,
        kind=KIND,
        job=JOB_NAME,
        owed_for=OWED_FOR,
        describe=lambda key, to: f"unanswered command {key} of {to}",
    )


def deliver(runtime: Runtime, client: WebClient, item: DueItem, now: datetime) -> Delivered:
    """Tell the requester the answer is not coming: through the response URL, else by DM."""
    sessions = runtime.sessions
    claim = ledger.claim(
        sessions, workspace_id=item.workspace_id, key=item.key, kind=KIND, recipient=None, now=now
    )
    if claim is None:
        return Delivered("skipped", "answered meanwhile, or being told elsewhere")
    owed = ledger.reply_of(sessions, workspace_id=item.workspace_id, key=item.key)
    if owed is None:
        ledger.cancel(sessions, workspace_id=item.workspace_id, key=item.key, now=now)
        return Delivered("skipped", "nothing recorded about the request")
    text = _apology(owed.command)
    if owed.response_url and now < owed.expires_at and _respond(owed.response_url, text):
        settle_reply(runtime, workspace_id=item.workspace_id, key=item.key, now=now)
        return Delivered("sent", f"through the response URL to {owed.user_id}")
    posted = _tell_by_dm(runtime, client, item.workspace_id, owed.user_id, text, now)
    if posted.outcome == "failed":
        give_up_reply(runtime, workspace_id=item.workspace_id, key=item.key, error=posted.detail)
        return Delivered("failed", posted.detail)
    settle_reply(runtime, workspace_id=item.workspace_id, key=item.key, now=now)
    if posted.delivered:
        return Delivered("sent", f"by DM to {owed.user_id}")
    return Delivered("skipped", f"{owed.user_id} was told by DM today already")


def _apology(command: str) -> Mrkdwn:
    return mrkdwn(
        "I could not answer `{}`: the bot stopped while working on it. Please ask again.",
        command,
    )


def _respond(url: str, text: Mrkdwn) -> bool:
    """One post to the response URL; False when Slack refuses it (expired, used five times)."""
    try:
        response = WebhookClient(url, timeout=15).send(
            text=as_mrkdwn(text), response_type="ephemeral", replace_original=False
        )
    except OSError as error:
        log.warning("response URL not reachable: %s", error)
        return False
    return response.status_code == 200


def _tell_by_dm(
    runtime: Runtime,
    client: WebClient,
    workspace_id: str,
    user_id: str,
    text: Mrkdwn,
    now: datetime,
) -> Posted:
    """At most one such DM per person per day, their day (Slack's timezone for them, else the
    workspace's): a second lost answer that day is not news."""
    directory = Directory(client, workspace_id, TtlCache(), runtime.settings.tz)
    person = directory.recipient(user_id)
    day = now.astimezone(person.tz if person else runtime.settings.tz).date()
    key = f"reply-lost:{user_id}:{day.isoformat()}"
    delivery = Delivery(workspace_id, key, LOST_DM_KIND, user_id, EVENT_TYPE)
    return post_once(runtime.sessions, client, delivery, lambda: Message(text, unfurl=None), now)
