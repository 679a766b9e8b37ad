"""A follow-up as people see it: the plain data the CLI, the report and the views share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class FollowupItem:
    id: int
    account_id: int
    account: str
    cycle: str
    respondent: str
    email: str | None
    role: str | None
    reasons: list[str]
    status: str
    owner: str | None
    opened_at: datetime
    due_at: datetime
    contacted_at: datetime | None
    closed_at: datetime | None
    note: str | None = None
    contact_method: str | None = None

    def past_sla(self, now: datetime) -> bool:
        """Still waiting for a first contact after its due time."""
        return self.status == "open" and self.due_at < now


@dataclass(frozen=True)
class AnsweredItem:
    """A follow-up with the answer that opened it: what the channel announcement quotes.

    A silent decision maker answered nothing in the cycle, so the answer's fields are None.
    """

    item: FollowupItem
    cycle_id: int
    response_id: int | None
    satisfaction: float | None
    recommend: float | None
    comment: str | None


def _moment(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def followup_json(item: FollowupItem) -> dict[str, Any]:
    """The keys docs/interface.md promises for `voc followups --json`, plus note and method."""
    return {
        "id": item.id,
        "account": item.account,
        "cycle": item.cycle,
        "respondent": item.respondent,
        "email": item.email,
        "role": item.role,
        "reasons": list(item.reasons),
        "status": item.status,
        "owner": item.owner,
        "opened_at": _moment(item.opened_at),
        "due_at": _moment(item.due_at),
        "contacted_at": _moment(item.contacted_at),
        "closed_at": _moment(item.closed_at),
        "note": item.note,
        "contact_method": item.contact_method,
    }
