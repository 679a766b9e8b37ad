"""Moving one follow-up on, inside a transaction someone else owns.

The one place a follow-up's state changes, with its audit entry: the terminal and Slack come
through `bot.followups.service`, the demo loader directly, and completing the last commitment
linked to a follow-up through `close_when_answered`, in the completion's own transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.errors import BadInput, NotFound
from bot.followups import queries
from bot.followups.rules import move_to
from bot.followups.values import FollowupItem
from storage import audit
from storage.models import Commitment

SETTLED = ("closed", "not_needed")


@dataclass(frozen=True)
class Moved:
    item: FollowupItem
    changed: bool
    previous: str


def change_followup_in(
    session: Session,
    workspace_id: str,
    followup_id: int,
    status: str,
    *,
    actor: str,
    note: str | None,
    now: datetime,
    contact_method: str | None = None,
) -> Moved:
    """`move_followup` inside the caller's transaction (the demo loader settles a few so).

    `contact_method` (call, meeting, email) is how the contact was made, kept with it.
    """
    text = (note or "").strip() or None
    if status == "not_needed" and text is None:
        raise BadInput("not-needed needs --note saying why no contact is needed")
    row = queries.followup_for_change(session, workspace_id, followup_id)
    if row is None:
        raise NotFound(f"There is no follow-up #{followup_id}.")
    previous = row.status
    move = move_to(status, current=previous, contacted_at=row.contacted_at, now=now)
    if move is not None or text is not None or contact_method is not None:
        values = _values(move, text, now)
        if contact_method is not None:
            values["contact_method"] = contact_method
        queries.update_followup(session, row, values)
        audit.record(
            session,
            workspace_id=workspace_id,
            actor=actor,
            action=_action(previous, status),
            entity="followup",
            entity_id=row.id,
            at=now,
            details={"from": previous, "to": status, "note": text, "method": contact_method},
        )
    item = queries.followup_item(session, workspace_id, followup_id)
    if item is None:  # deleted between the two reads of one transaction: it cannot be
        raise NotFound(f"There is no follow-up #{followup_id}.")
    return Moved(item=item, changed=move is not None, previous=previous)


def _values(move: Any, note: str | None, now: datetime) -> dict[str, Any]:
    values: dict[str, Any] = {"updated_at": now}
    if note is not None:
        values["note"] = note
    if move is None:
        return values
    values["status"] = move.status
    if move.contacted_at is not None:
        values["contacted_at"] = move.contacted_at
    if move.closed_at is not None:
        values["closed_at"] = move.closed_at
    for name in move.clear:
        values[name] = None
    return values


def _action(previous: str, status: str) -> str:
    if previous in SETTLED and status not in SETTLED:
        return "followup_reopened"
    return f"followup_{status}"


def close_when_answered(
    session: Session, commitment: Commitment, actor: str, now: datetime
) -> bool:
    """Close the follow-up a just-completed commitment answers, once all its commitments are
    done; True when it closed. The one who completed the last of them closed the loop.

    Only an open or contacted follow-up closes: one settled already (closed by hand, or not
    needed) keeps what a person decided. Reopening a commitment later does not reopen it.
    """
    if commitment.followup_id is None:
        return False
    _, still_open = queries.open_linked_commitments(session, commitment.followup_id)
    if still_open:
        return False
    row = queries.followup_for_change(session, commitment.workspace_id, commitment.followup_id)
    if row is None or row.status in SETTLED:
        return False
    change_followup_in(
        session, commitment.workspace_id, row.id, "closed", actor=actor, note=None, now=now
    )
    return True
