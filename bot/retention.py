"""Retention: bookkeeping rows older than `VOC_RETENTION_DAYS` are removed, once a day.

A scheduled job like any other (`bot.scheduler.default_jobs`), and exactly once a day across
ticks and instances because it claims its day's key in the delivery ledger (`retention:<date>`)
before trimming. What is trimmed and what is never touched is decided in `storage.operations`;
here only what the bot knows and storage does not is named: the event keys that are still
owed work (reaction re-reads) and the ledger kinds whose row must last as long as their thing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from slack_sdk import WebClient

from bot.commitments.reactions import RECHECK_PREFIX
from bot.delivery import ledger
from bot.delivery.jobs import Delivered, DueItem
from bot.followups.announce import KIND as ANNOUNCE_KIND
from bot.reminders.followups import FLAG_KIND
from bot.runtime import Runtime
from storage.operations import has_old_rows, newest_delivery_workspace, remove_old_rows

JOB = "retention"
KIND = "retention"
KEEP_EVENT_PREFIXES = (RECHECK_PREFIX,)  # re-reads a later tick still owes
# Keyed by a thing, not a moment: while the follow-up lives its row must stop a second flag,
# and an announcement's row is where its message is found again to be updated.
KEEP_KINDS = (FLAG_KIND, ANNOUNCE_KIND)


def key_for(now: datetime) -> str:
    return f"{KIND}:{now.date().isoformat()}"


def find_due(runtime: Runtime, now: datetime) -> list[DueItem]:
    """Today's trim, when it is not done yet and there is something past retention."""
    days = runtime.settings.retention_days
    with runtime.sessions() as session:
        workspace_id = newest_delivery_workspace(session) or runtime.settings.workspace
        old = has_old_rows(
            session,
            _cutoff(now, days),
            keep_event_prefixes=KEEP_EVENT_PREFIXES,
            keep_kinds=KEEP_KINDS,
        )
    key = key_for(now)
    if not old or ledger.status_of(runtime.sessions, workspace_id=workspace_id, key=key) == "sent":
        return []
    return [
        DueItem(
            job=JOB,
            key=key,
            workspace_id=workspace_id,
            description=f"remove deliveries and event keys older than {days} days",
        )
    ]


def trim(runtime: Runtime, client: WebClient, item: DueItem, now: datetime) -> Delivered:
    """Claim the day, remove what is past retention, mark the day done."""
    won = ledger.claim(
        runtime.sessions,
        workspace_id=item.workspace_id,
        key=item.key,
        kind=KIND,
        recipient=None,
        now=now,
    )
    if won is None:
        return Delivered("skipped", "done or under way elsewhere")
    cutoff = _cutoff(now, runtime.settings.retention_days)
    try:
        removed = remove_old_rows(
            runtime.sessions,
            cutoff,
            keep_event_prefixes=KEEP_EVENT_PREFIXES,
            keep_kinds=KEEP_KINDS,
        )
    except Exception as error:
        ledger.mark_failed(
            runtime.sessions, workspace_id=item.workspace_id, key=item.key, error=repr(error)
        )
        raise
    ledger.mark_sent(runtime.sessions, workspace_id=item.workspace_id, key=item.key, now=now)
    return Delivered(
        "done",
        f"removed {removed.deliveries} deliveries, {removed.processed_events} event keys and "
        f"{removed.owed_replies} owed command answers from before {cutoff:%Y-%m-%d}",
    )


def _cutoff(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)
