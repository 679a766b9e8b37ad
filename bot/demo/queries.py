"""The demo room's own reads and deletes: recognising its accounts, removing them on `--reset`,
and counting what the database holds for them.

Rows are deleted directly: no use case removes accounts (customers are not deleted in normal
use), and a reset must also take what people logged on demo accounts while trying them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, exists, func, select
from sqlalchemy.orm import Session

from bot.core.names import name_key
from bot.demo.tables import ACCOUNT_PLANS
from bot.intake.service import recompute_benchmarks
from storage.models import (
    Account,
    AccountFigures,
    Benchmark,
    Commitment,
    Cycle,
    Meeting,
    Respondent,
    Response,
)

DEMO_ACCOUNT_KEYS: frozenset[str] = frozenset(name_key(plan.name) for plan in ACCOUNT_PLANS)


def demo_accounts(session: Session, workspace_id: str) -> list[Account]:
    """Recognised by name, not by a flag: the demo owns exactly the accounts it generates."""
    accounts = session.scalars(select(Account).where(Account.workspace_id == workspace_id))
    return [account for account in accounts if name_key(account.name) in DEMO_ACCOUNT_KEYS]


def remove_demo(session: Session, *, workspace_id: str) -> dict[str, int]:
    """Delete the demo accounts of one workspace and everything hanging off them.

    Children are deleted explicitly rather than left to ON DELETE CASCADE, so the result does
    not depend on SQLite's foreign-key pragma being on. Cycles that no longer hold any response
    go too (with their benchmarks), so a reload starts from the same state as a fresh database;
    cycles other accounts still answer in get their benchmarks recomputed without the demo.

    Rows are deleted directly: no use case removes accounts (customers are not deleted in normal
    use), and a reset must also take what people logged on demo accounts while trying them.
    """
    ids = [account.id for account in demo_accounts(session, workspace_id)]
    if not ids:
        return {}
    touched = set(
        session.scalars(select(Response.cycle_id).where(Response.account_id.in_(ids)).distinct())
    )
    removed: dict[str, int] = {}
    session.execute(delete(AccountFigures).where(AccountFigures.account_id.in_(ids)))
    for label, model in (
        ("commitments", Commitment),
        ("meetings", Meeting),
        ("responses", Response),
        ("respondents", Respondent),
        ("accounts", Account),
    ):
        column = model.id if model is Account else model.account_id
        result = session.execute(
            delete(model).where(column.in_(ids)).execution_options(synchronize_session=False)
        )
        removed[label] = int(result.rowcount or 0)
    empty = select(Cycle.id).where(
        Cycle.workspace_id == workspace_id,
        ~exists().where(Response.cycle_id == Cycle.id),
    )
    empty_ids = list(session.scalars(empty))
    if empty_ids:
        session.execute(delete(Benchmark).where(Benchmark.cycle_id.in_(empty_ids)))
        result = session.execute(delete(Cycle).where(Cycle.id.in_(empty_ids)))
        removed["cycles"] = int(result.rowcount or 0)
    # Cycles shared with other accounts keep their responses; their benchmarks must lose ours.
    recompute_benchmarks(session, workspace_id, touched - set(empty_ids))
    session.expunge_all()  # the bulk deletes bypassed the identity map; forget stale objects
    return removed


def holds_commitment(session: Session, account: Account, text: str) -> bool:
    """Commitments have no natural key in the schema; the demo's are told apart by their text."""
    query = select(Commitment.id).where(
        Commitment.account_id == account.id, Commitment.text == text
    )
    return session.scalar(query.limit(1)) is not None


def count_rows(session: Session, model: type[Any], ids: list[int], *where: Any) -> int:
    """What the database holds for the demo accounts, not what this run added."""
    column = model.id if model is Account else model.account_id
    query = select(func.count()).select_from(model).where(column.in_(ids), *where)
    return int(session.scalar(query) or 0)
