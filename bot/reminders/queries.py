"""The reminders' and escalations' reads: open commitments, cycles, what the ledger shows as sent.

Planning is set-based: one query for every open commitment, then a few `IN` (or, on
PostgreSQL, array) queries for the ledger, never a query per item.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import ARRAY, String, any_, cast, select
from sqlalchemy.orm import Session, sessionmaker

from bot.reports.queries import next_cycle_start
from bot.views.common import truncate
from storage.models import Account, Commitment, Cycle, Delivery

IN_CHUNK = 500
ARRAY_CHUNK = 10_000


def chunks(values: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    """`values` in slices of `size`: within a driver's parameter limit, per statement."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


_OPEN_COLUMNS = ["id", "workspace_id", "account_id", "owner", "due_on", "snoozed_until"]


def load_open_commitments(session: Session) -> pd.DataFrame:
    """Every open commitment, only the columns planning needs, in one query."""
    rows = session.execute(
        select(
            Commitment.id,
            Commitment.workspace_id,
            Commitment.account_id,
            Commitment.owner,
            Commitment.due_on,
            Commitment.snoozed_until,
        ).where(Commitment.status == "open")
    ).all()
    if not rows:
        return pd.DataFrame(columns=[*_OPEN_COLUMNS[:-1], "snoozed_epoch"])
    ids, workspaces, accounts, owners, due, snoozed = zip(*rows, strict=True)
    return pd.DataFrame(
        {
            "id": np.array(ids, dtype=np.int64),
            "workspace_id": workspaces,
            "account_id": accounts,
            "owner": owners,
            "due_on": np.array(due, dtype="datetime64[D]"),  # None becomes NaT
            "snoozed_epoch": [np.nan if at is None else at.timestamp() for at in snoozed],
        }
    )


def upcoming_cycle_start(session: Session, workspace_id: str, today: date) -> date | None:
    """The next time customers are asked: a cycle already set up for a later date, else the
    usual spacing after the last one (`reports.next_cycle_start`)."""
    planned = session.scalar(
        select(Cycle.starts_on)
        .where(Cycle.workspace_id == workspace_id, Cycle.starts_on >= today)
        .order_by(Cycle.starts_on)
        .limit(1)
    )
    return planned if planned is not None else next_cycle_start(session, workspace_id)


def sent_keys(session: Session, keys: pd.DataFrame) -> set[str]:
    """Which of these ledger keys (`workspace_id`, `key` columns) are already sent."""
    sent: set[str] = set()
    for workspace_id, group in keys.groupby("workspace_id"):
        sent |= sent_among(session, str(workspace_id), list(group["key"].unique()))
    return sent


def sent_among(session: Session, workspace_id: str, keys: Sequence[str]) -> set[str]:
    """Which of one workspace's ledger keys are already sent, in a few set queries."""
    sent: set[str] = set()
    on_postgresql = session.get_bind().dialect.name == "postgresql"
    for chunk in chunks(keys, ARRAY_CHUNK if on_postgresql else IN_CHUNK):
        # One array parameter on PostgreSQL instead of thousands of IN parameters. Status is
        # checked here, not in SQL: with `status = 'sent'` in the WHERE, SQLite prefers the
        # status index and scans instead of looking each key up in the unique one.
        matching = (
            Delivery.delivery_key == any_(cast(list(chunk), ARRAY(String)))
            if on_postgresql
            else Delivery.delivery_key.in_(chunk)
        )
        rows = session.execute(
            select(Delivery.delivery_key, Delivery.status).where(
                Delivery.workspace_id == workspace_id, matching
            )
        )
        sent.update(row.delivery_key for row in rows if row.status == "sent")
    return sent


def item_titles(session: Session, ids: list[int]) -> dict[int, str]:
    """`Account — text` of each commitment, for the tick report."""
    titles: dict[int, str] = {}
    for chunk in chunks(ids, IN_CHUNK):
        rows = session.execute(
            select(Commitment.id, Account.name, Commitment.text)
            .join(Account, Account.id == Commitment.account_id)
            .where(Commitment.id.in_(chunk))
        ).all()
        titles.update({row.id: f"{row.name} — {truncate(row.text, 80)}" for row in rows})
    return titles


def commitments_with_accounts(
    sessions: sessionmaker[Session], ids: list[int]
) -> dict[int, tuple[Commitment, str]]:
    """The commitments as they are now, each with its account's name."""
    found: dict[int, tuple[Commitment, str]] = {}
    with sessions() as session:
        for chunk in chunks(ids, IN_CHUNK):
            rows = session.execute(
                select(Commitment, Account.name)
                .join(Account, Account.id == Commitment.account_id)
                .where(Commitment.id.in_(chunk))
            ).all()
            found.update({row.id: (row, name) for row, name in rows})
    return found


def current_states(session: Session, ids: Sequence[int]) -> dict[int, Any]:
    """Each commitment's status, owner and snooze as they are now (a re-check inside a claim)."""
    current: dict[int, Any] = {}
    for chunk in chunks(ids, IN_CHUNK):
        rows = session.execute(
            select(
                Commitment.id, Commitment.status, Commitment.owner, Commitment.snoozed_until
            ).where(Commitment.id.in_(chunk))
        ).all()
        current.update({row.id: row for row in rows})
    return current
