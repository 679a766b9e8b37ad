"""The audit log: who changed what, when — written the same way by every room.

An audit entry is written in the same transaction as the change it records, so the log never
claims a change that was rolled back nor misses one that was kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.redaction import ERASED, Redaction
from storage.models import AuditEntry

# Details keys that hold what a person typed about someone (a follow-up's note).
FREE_TEXT = frozenset({"note", "text"})


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


def redact(
    session: Session,
    workspace_id: str,
    redaction: Redaction,
    cleared: Mapping[str, Iterable[object]] | None = None,
) -> int:
    """Cut a forgotten person out of the workspace's audit log; returns how many entries changed.

    The entries stay (who did what, when, is the log's point) but no string in their details
    names the person any more. Entries about the rows deleted with the person (`cleared`:
    entity → IDs, their follow-ups) lose their free text too, since a note about someone need
    not name them."""
    about = {(entity, str(key)) for entity, keys in (cleared or {}).items() for key in keys}
    statement = select(AuditEntry).where(AuditEntry.workspace_id == workspace_id)
    changed = 0
    for entry in session.scalars(statement.execution_options(yield_per=500)):
        details = redaction.value(entry.details or {})
        if (entry.entity, entry.entity_id) in about:
            details = {key: ERASED if key in FREE_TEXT and v else v for key, v in details.items()}
        if details != (entry.details or {}):
            entry.details = details
            changed += 1
    session.flush()
    return changed
