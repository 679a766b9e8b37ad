"""The audit log: who changed what, when — written the same way by every room.

An audit entry is written in the same transaction as the change it records, so the log never
claims a change that was rolled back nor misses one that was kept.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from storage.models import AuditEntry


def record(
    session: Session,
    *,
    workspace_id: str,
    actor: str,
    action: str,
    entity: str,
    entity_id: object | None,
    at: datetime | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add one entry to `session`; `at` defaults to the database's insert time (now)."""
    entry = AuditEntry(
        workspace_id=workspace_id,
        actor=actor,
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        details=details or {},
    )
    if at is not None:
        entry.at = at
    session.add(entry)
    return entry
