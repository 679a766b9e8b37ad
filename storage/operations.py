"""What an operator reads from and trims in the bookkeeping tables.

The delivery ledger and the inbound-event ledger grow by a few rows per message and per Slack
request, for ever unless trimmed. `remove_old_rows` deletes what is past the retention period
in small batches, each its own transaction, so a large table is never locked for long and
another instance's claims interleave with the trimming. What is still needed is never
touched: an owed or failed message (`failed`), one being sent (`claimed`, its lease held), and
the event keys the caller names as owed work (re-reads a later tick still has to do).

`backlog` counts the messages not yet delivered, for `/metrics`: it reads the status index
only, so a scrape costs the same whatever the table's size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from storage.db import transaction
from storage.models import Delivery, OwedReply, ProcessedEvent

BATCH_ROWS = 1000
FINISHED_STATUSES = ("sent", "cancelled")  # a message that went, or was withdrawn for good
BACKLOG_STATUSES = {"failed": "owed", "claimed": "sending"}
Bookkeeping = type[Delivery] | type[ProcessedEvent] | type[OwedReply]


@dataclass(frozen=True)
class Removed:
    deliveries: int
    processed_events: int
    owed_replies: int = 0


def backlog(session: Session) -> dict[str, int]:
    """Undelivered ledger rows by state: `owed` (not sent yet, or failed) and `sending`."""
    rows = session.execute(
        select(Delivery.status, func.count())
        .where(Delivery.status.in_(BACKLOG_STATUSES))
        .group_by(Delivery.status)
    ).all()
    counts = dict.fromkeys(BACKLOG_STATUSES.values(), 0)
    for status, count in rows:
        counts[BACKLOG_STATUSES[status]] = int(count)
    return counts


def has_old_rows(
    session: Session,
    cutoff: datetime,
    *,
    keep_event_prefixes: Sequence[str] = (),
    keep_kinds: Sequence[str] = (),
) -> bool:
    """Whether `remove_old_rows` would remove anything: the first match ends each scan."""
    for model, where in _old_rows(cutoff, keep_event_prefixes, keep_kinds):
        if session.scalar(select(model.id).where(*where).limit(1)) is not None:
            return True
    return False


def remove_old_rows(
    sessions: sessionmaker[Session],
    cutoff: datetime,
    *,
    keep_event_prefixes: Sequence[str] = (),
    keep_kinds: Sequence[str] = (),
    batch: int = BATCH_ROWS,
) -> Removed:
    """Delete finished deliveries and event keys from before `cutoff`, `batch` rows at a time.

    `keep_kinds` are ledger kinds keyed by a thing rather than a moment (a follow-up's one late
    flag): their row is what stops a second message for as long as the thing lives.
    """
    (deliveries, finished), (events, old_events), (replies, old_replies) = _old_rows(
        cutoff, keep_event_prefixes, keep_kinds
    )
    return Removed(
        deliveries=_delete_in_batches(sessions, deliveries, finished, batch),
        processed_events=_delete_in_batches(sessions, events, old_events, batch),
        owed_replies=_delete_in_batches(sessions, replies, old_replies, batch),
    )


def _old_rows(
    cutoff: datetime, keep_event_prefixes: Sequence[str], keep_kinds: Sequence[str]
) -> list[tuple[Bookkeeping, list[ColumnElement[bool]]]]:
    """What is past retention, table by table: only finished deliveries, event keys that are
    not owed work, and where command answers were to go (a response URL is valid 30 minutes,
    an answer owed a day: every `/voc account` writes one, so they must be trimmed too)."""
    finished: list[ColumnElement[bool]] = [
        Delivery.status.in_(FINISHED_STATUSES),
        Delivery.created_at < cutoff,
        Delivery.sent_at.is_(None) | (Delivery.sent_at < cutoff),
    ]
    if keep_kinds:
        finished.append(Delivery.kind.not_in(keep_kinds))
    old_events: list[ColumnElement[bool]] = [ProcessedEvent.received_at < cutoff]
    old_events += [
        ~ProcessedEvent.event_key.startswith(prefix, autoescape=True)
        for prefix in keep_event_prefixes
    ]
    old_replies: list[ColumnElement[bool]] = [OwedReply.created_at < cutoff]
    return [(Delivery, finished), (ProcessedEvent, old_events), (OwedReply, old_replies)]


def _delete_in_batches(
    sessions: sessionmaker[Session],
    model: Bookkeeping,
    where: Sequence[ColumnElement[bool]],
    batch: int,
) -> int:
    """Pick a batch of ids, delete them, commit; until a batch comes back short."""
    removed = 0
    while True:
        with transaction(sessions) as session:
            ids = list(session.scalars(select(model.id).where(*where).limit(batch)))
            if ids:
                session.execute(
                    delete(model)
                    .where(model.id.in_(ids), *where)
                    .execution_options(synchronize_session=False)
                )
        removed += len(ids)
        if len(ids) < batch:
            return removed


def newest_delivery_workspace(session: Session) -> str | None:
    """The workspace of the latest ledger row: one the bot has a token for, in OAuth installs."""
    return session.scalar(select(Delivery.workspace_id).order_by(Delivery.id.desc()).limit(1))
