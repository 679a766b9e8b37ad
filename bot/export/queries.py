"""The rows of each export file, read in the workspace and, when one is named, the account.

Every statement streams (`yield_per`), so exporting a large portfolio holds one batch of rows
in memory at a time, not the whole table.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.models import (
    Account,
    AuditEntry,
    Commitment,
    Cycle,
    Followup,
    Meeting,
    Respondent,
    Response,
)

BATCH = 1000


def _stream(session: Session, statement: Any) -> Iterator[sa.Row[Any]]:
    yield from session.execute(statement.execution_options(yield_per=BATCH))


def _scoped(statement: Any, model: Any, workspace_id: str, account_id: int | None) -> Any:
    statement = statement.join(Account, Account.id == model.account_id).where(
        Account.workspace_id == workspace_id
    )
    return statement if account_id is None else statement.where(model.account_id == account_id)


def rating_names(session: Session, workspace_id: str, account_id: int | None) -> list[str]:
    """Every attribute rated in the exported responses, for one column each: the keys of the
    ratings, listed by the database (`json_each` / `json_object_keys`) rather than by decoding
    every response's ratings in Python only to throw the scores away."""
    if session.get_bind().dialect.name == "postgresql":
        keys = sa.func.json_object_keys(Response.ratings).table_valued("key").render_derived()
    else:
        keys = sa.func.json_each(Response.ratings).table_valued("key")
    statement = _scoped(
        sa.select(keys.c.key).select_from(Response).join(keys, sa.true()),
        Response,
        workspace_id,
        account_id,
    ).distinct()
    return sorted(str(name) for name in session.scalars(statement))


def responses(session: Session, workspace_id: str, account_id: int | None) -> Iterator[Any]:
    statement = _scoped(
        sa.select(
            Response.id,
            Account.name.label("account"),
            Cycle.label.label("cycle"),
            Respondent.id.label("person_id"),
            Respondent.name.label("respondent"),
            Respondent.email,
            Response.title,
            Response.role,
            Response.satisfaction,
            Response.recommend,
            Response.continue_score,
            Response.ratings,
            Response.comment,
            Response.themes,
            Response.tone,
            Response.source,
            Response.responded_on,
        )
        .select_from(Response)
        .join(Cycle, Cycle.id == Response.cycle_id)
        .join(Respondent, Respondent.id == Response.respondent_id),
        Response,
        workspace_id,
        account_id,
    )
    return _stream(session, statement.order_by(Account.name, Cycle.label, Response.id))


def people(session: Session, workspace_id: str, account_id: int | None) -> Iterator[Any]:
    statement = _scoped(
        sa.select(Respondent.id, Account.name.label("account"), Respondent.name, Respondent.email)
        .select_from(Respondent),
        Respondent,
        workspace_id,
        account_id,
    )  # fmt: skip
    return _stream(session, statement.order_by(Account.name, Respondent.name, Respondent.id))


def commitments(session: Session, workspace_id: str, account_id: int | None) -> Iterator[Any]:
    statement = _scoped(
        sa.select(Commitment, Account.name.label("account")).select_from(Commitment),
        Commitment,
        workspace_id,
        account_id,
    )
    return _stream(session, statement.order_by(Account.name, Commitment.id))


def followups(session: Session, workspace_id: str, account_id: int | None) -> Iterator[Any]:
    statement = _scoped(
        sa.select(
            Followup,
            Account.name.label("account"),
            Cycle.label.label("cycle"),
            Respondent.name.label("respondent"),
            Respondent.email,
        )
        .select_from(Followup)
        .join(Cycle, Cycle.id == Followup.cycle_id)
        .join(Respondent, Respondent.id == Followup.respondent_id),
        Followup,
        workspace_id,
        account_id,
    )
    return _stream(session, statement.order_by(Account.name, Followup.id))


def meetings(session: Session, workspace_id: str, account_id: int | None) -> Iterator[Any]:
    statement = _scoped(
        sa.select(Meeting, Account.name.label("account")).select_from(Meeting),
        Meeting,
        workspace_id,
        account_id,
    )
    return _stream(session, statement.order_by(Account.name, Meeting.starts_at, Meeting.id))


def audit_entries(
    session: Session, workspace_id: str, account_id: int | None
) -> Iterator[AuditEntry]:
    """The workspace's audit log; for one account, the entries about it and its commitments,
    follow-ups and meetings, and the erasures that name its ID in their details."""
    statement = sa.select(AuditEntry).where(AuditEntry.workspace_id == workspace_id)
    if account_id is not None:
        statement = statement.where(_about_account(account_id))
    rows = session.scalars(
        statement.order_by(AuditEntry.at, AuditEntry.id).execution_options(yield_per=BATCH)
    )
    for entry in rows:
        if account_id is None or entry.entity not in _BY_DETAILS or _names(entry, account_id):
            yield entry


# Entries about several accounts at once (`voc forget`) say which in their details.
_BY_DETAILS = ("cycle", "person")


def _about_account(account_id: int) -> Any:
    def ids_of(model: Any) -> Any:
        return sa.select(sa.cast(model.id, sa.String)).where(model.account_id == account_id)

    return sa.or_(
        (AuditEntry.entity == "account") & (AuditEntry.entity_id == str(account_id)),
        (AuditEntry.entity == "commitment") & AuditEntry.entity_id.in_(ids_of(Commitment)),
        (AuditEntry.entity == "followup") & AuditEntry.entity_id.in_(ids_of(Followup)),
        (AuditEntry.entity == "meeting") & AuditEntry.entity_id.in_(ids_of(Meeting)),
        AuditEntry.entity.in_(_BY_DETAILS),
    )


def _names(entry: AuditEntry, account_id: int) -> bool:
    details = entry.details or {}
    return details.get("account_id") == account_id or account_id in (
        details.get("account_ids") or []
    )
