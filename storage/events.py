"""Inbound Slack deliveries already acted on.

Slack re-sends an event it thinks was lost with the same `event_id`; the key is written here,
under a unique constraint, before any listener runs, so a retry — even one arriving while the
first delivery is still being handled, in another process — finds it and does nothing. Modal
submissions are keyed the same way (by the view and what was typed), so a replayed submission
is recognised too; one that recorded nothing is `forget`-ten, so it can be sent again.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

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


def forget(sessions: sessionmaker[Session], workspace_id: str, event_key: str) -> None:
    """Let a key be seen for the first time again (a submission that changed nothing)."""
    with transaction(sessions) as session:
        session.execute(
            delete(ProcessedEvent).where(
                ProcessedEvent.workspace_id == workspace_id,
                ProcessedEvent.event_key == stored_key(event_key),
            )
        )


def stored_key(event_key: str) -> str:
    """The key as stored: a key too long for the column, or holding a NUL (which PostgreSQL
    cannot store), becomes its SHA-256, so no key from outside can make the insert fail."""
    if len(event_key) <= KEY_LENGTH and "\x00" not in event_key:
        return event_key
    return "sha256:" + hashlib.sha256(event_key.encode("utf-8", "surrogatepass")).hexdigest()
