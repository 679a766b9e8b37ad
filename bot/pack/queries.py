"""What the customer update reads across all accounts of a workspace: the cycle's answers, the
commitments kept since it began and those still open. The pack itself reads through the
reports, commitments and meetings rooms' queries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.reports.rules import cycle_order
from storage.models import Account, Commitment, Cycle, Respondent, Response


def cycles_answered(session: Session, workspace_id: str) -> list[Cycle]:
    """The workspace's cycles that hold answers, oldest first."""
    answered = select(Response.cycle_id).distinct()
    cycles = session.scalars(
        select(Cycle).where(Cycle.workspace_id == workspace_id, Cycle.id.in_(answered))
    ).all()
    return sorted(cycles, key=cycle_order)


def answered_counts(session: Session, cycle_id: int) -> tuple[int, int]:
    """(customers, people) who answered in the cycle: distinct accounts, and responses (one a
    person and cycle)."""
    customers, people = session.execute(
        select(func.count(func.distinct(Response.account_id)), func.count(Response.id)).where(
            Response.cycle_id == cycle_id
        )
    ).one()
    return int(customers), int(people)


def comments_of_cycle(session: Session, cycle_id: int) -> list[tuple[str, str | None, str | None]]:
    """(comment, themes, tone) of every answer with a comment in the cycle."""
    rows = session.execute(
        select(Response.comment, Response.themes, Response.tone).where(
            Response.cycle_id == cycle_id, Response.comment.is_not(None), Response.comment != ""
        )
    ).all()
    return [(comment, themes, tone) for comment, themes, tone in rows]


def commitments_kept_since(
    session: Session, workspace_id: str, since: datetime | None
) -> list[tuple[str, str]]:
    """(area, text) of the commitments completed since `since` (all of them without it)."""
    query = select(Commitment.area, Commitment.text).where(
        Commitment.workspace_id == workspace_id, Commitment.status == "done"
    )
    if since is not None:
        query = query.where(Commitment.done_at >= since)
    rows = session.execute(query.order_by(Commitment.done_at, Commitment.id)).all()
    return [(area, text) for area, text in rows]


def commitments_open(session: Session, workspace_id: str) -> list[tuple[str, str]]:
    """(area, text) of every open commitment, soonest due first."""
    rows = session.execute(
        select(Commitment.area, Commitment.text)
        .where(Commitment.workspace_id == workspace_id, Commitment.status == "open")
        .order_by(Commitment.due_on.is_(None), Commitment.due_on, Commitment.id)
    ).all()
    return [(area, text) for area, text in rows]


def names_to_hide(session: Session, workspace_id: str) -> tuple[list[str], list[str]]:
    """(account names, respondent names) of the workspace: what the update must never print."""
    accounts = session.scalars(select(Account.name).where(Account.workspace_id == workspace_id))
    people = session.scalars(
        select(Respondent.name)
        .join(Account, Account.id == Respondent.account_id)
        .where(Account.workspace_id == workspace_id)
    )
    return [name for name in accounts if name], [name for name in people if name]


def respondent_names(session: Session, account_id: int) -> list[str]:
    """Everyone who ever answered for the account: an anonymous pack names none of them."""
    names = session.scalars(select(Respondent.name).where(Respondent.account_id == account_id))
    return [name for name in names if name]
