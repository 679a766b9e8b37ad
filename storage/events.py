"""Inbound Slack deliveries already acted on.

Slack re-sends an event it thinks was lost with the same `event_id`; the key is written here,
under a unique constraint, before any listener runs, so a retry — even one arriving while the
first delivery is still being handled, in another process — finds it and does nothing. Modal
submissions are keyed the same way (by the view and what was typed), so a replayed submission
is recognised too; one that recorded nothing is `forget`-ten, so it can be sent again. A
submission whose listener saves in one transaction records its key inside it (`first_time_in`):
a process dying before that commit leaves no key behind, so the same submission sent again is
saved rather than taken for a replay of something that was never stored.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.core.clock import utc_now
from storage.db import transaction
from storage.models import ProcessedEvent

KEY_LENGTH = 200  # the column's length


def first_time(sessions: sessionmaker[Session], workspace_id: str, event_key: str) -> bool:
    """True the first time a key is seen, False ever after, across processes."""
    try:
        with transaction(sessions) as session:
            session.add(ProcessedEvent(workspace_id=workspace_id, event_key=stored_key(event_key)))
    except IntegrityError:
        return False
    return True


def seen(sessions: sessionmaker[Session], workspace_id: str, event_key: str) -> bool:
    """Whether the key was recorded already (by a transaction that committed)."""
    with sessions() as session:
        found = session.scalar(
            select(ProcessedEvent.id).where(
                ProcessedEvent.workspace_id == workspace_id,
                ProcessedEvent.event_key == stored_key(event_key),
            )
        )
    return found is not None


def first_time_in(session: Session, workspace_id: str, event_key: str) -> bool:
    """`first_time` inside the caller's transaction: the key commits with the work it guards.

    INSERT … ON CONFLICT DO NOTHING, so a racing transaction holding the same key makes this one
    wait for it and then see the key taken, without aborting the transaction on PostgreSQL.
    """
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        module.insert(ProcessedEvent)
        .values(workspace_id=workspace_id, event_key=stored_key(event_key), received_at=utc_now())
        .on_conflict_do_nothing(index_elements=["workspace_id", "event_key"])
        .returning(ProcessedEvent.id)
    )
    return session.scalar(statement) is not None


def forget(sessions: sessionmaker[Session], workspace_id: str, event_key: str) -> None:
    """Let a key be seen for the first time again (a submission that changed nothing)."""
    with transaction(sessions) as session:
        session.execute(
            delete(ProcessedEvent).where(
                ProcessedEvent.workspace_id == workspace_id,
                ProcessedEvent.event_key == stored_key(event_key),
            )
        )


def newest(sessions: sessionmaker[Session], workspace_id: str, key: str, at: datetime) -> bool:
    """Remember `at` under `key` if it is later than what is there; True when it was.

    For deliveries Slack may make out of order (reactions): the one whose moment is not the
    latest seen is known to be late. The conditional update makes two at once safe.
    """
    stored = stored_key(key)
    if first_time_at(sessions, workspace_id, key, at):
        return True
    with transaction(sessions) as session:
        moved = session.execute(
            update(ProcessedEvent)
            .where(
                ProcessedEvent.workspace_id == workspace_id,
                ProcessedEvent.event_key == stored,
                ProcessedEvent.received_at < at,
            )
            .values(received_at=at)
        )
    return bool(moved.rowcount)


def first_time_at(
    sessions: sessionmaker[Session], workspace_id: str, key: str, at: datetime
) -> bool:
    """`first_time`, recording `at` as the key's moment."""
    try:
        with transaction(sessions) as session:
            session.add(
                ProcessedEvent(workspace_id=workspace_id, event_key=stored_key(key), received_at=at)
            )
    except IntegrityError:
        return False
    return True


def keys_starting(sessions: sessionmaker[Session], prefix: str) -> list[tuple[str, str]]:
    """(workspace, key) of every key with `prefix`: work a later tick still owes."""
    with sessions() as session:
        rows = session.execute(
            select(ProcessedEvent.workspace_id, ProcessedEvent.event_key)
            .where(ProcessedEvent.event_key.startswith(prefix, autoescape=True))
            .order_by(ProcessedEvent.id)
        )
        return [(row.workspace_id, row.event_key) for row in rows]


def stored_key(event_key: str) -> str:
    """The key as stored: a key too long for the column, or holding a NUL (which PostgreSQL
    cannot store), becomes its SHA-256, so no key from outside can make the insert fail."""
    if len(event_key) <= KEY_LENGTH and "\x00" not in event_key:
        return event_key
    return "sha256:" + hashlib.sha256(event_key.encode("utf-8", "surrogatepass")).hexdigest()
