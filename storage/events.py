"""Inbound Slack deliveries already acted on.

Slack re-sends an event it thinks was lost with the same `event_id`; the key is written here,
under a unique constraint, before any listener runs, so a retry — even one arriving while the
first delivery is still being handled, in another process — finds it and does nothing.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from storage.db import transaction
from storage.models import ProcessedEvent


def first_time(sessions: sessionmaker[Session], workspace_id: str, event_key: str) -> bool:
    """True the first time a key is seen, False ever after, across processes."""
    try:
        with transaction(sessions) as session:
            session.add(ProcessedEvent(workspace_id=workspace_id, event_key=event_key))
    except IntegrityError:
        return False
    return True
