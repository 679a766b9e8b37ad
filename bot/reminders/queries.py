"""The reminders' and escalations' SQL: open commitments, cycles, what the ledger shows as sent,
the late promises escalations raise, and the snooze button's conditional update.

Planning is set-based: one query for every open commitment, then a few `IN` (or, on
PostgreSQL, array) queries for the ledger, never a query per item.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import ARRAY, Row, String, any_, cast, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.accounts.queries import trusted_channel_column
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


# --- escalations -----------------------------------------------------------------------------


def late_commitments_with_answerers(session: Session, latest_due: date) -> list[Row[Any]]:
    """Open commitments due on or before `latest_due`, with who answers for their account
    (`account_manager`, `exec_sponsor`, `tier`): everything an escalation plan needs, one query."""
    return list(
        session.execute(
            select(
                Commitment.id,
                Commitment.workspace_id,
                Commitment.due_on,
                Account.account_manager,
                Account.exec_sponsor,
                Account.tier,
            )
            .join(Account, Account.id == Commitment.account_id)
            .where(
                Commitment.status == "open",
                Commitment.due_on.is_not(None),
                Commitment.due_on <= latest_due,
            )
        ).all()
    )


def accounts_with_overdue(session: Session, day: date) -> list[Row[Any]]:
    """Accounts with a channel and an open commitment due before `day` (`id`, `workspace_id`,
    `name`, `channel`), each once: the channels owed an "open promises" summary."""
    return list(
        session.execute(
            select(
                Account.id,
                Account.workspace_id,
                Account.name,
                trusted_channel_column().label("channel"),
            )
            .join(Commitment, Commitment.account_id == Account.id)
            .where(
                trusted_channel_column().is_not(None),
                Commitment.status == "open",
                Commitment.due_on < day,
            )
            .distinct()
            .order_by(Account.id)
        ).all()
    )


def open_commitments_with_accounts(
    session: Session, ids: Sequence[int]
) -> list[tuple[Commitment, Account]]:
    """Those of the commitments still open, each with its account as it is now (a re-check
    inside a claim: account managers change)."""
    found: list[tuple[Commitment, Account]] = []
    for chunk in chunks(list(ids), IN_CHUNK):
        rows = session.execute(
            select(Commitment, Account)
            .join(Account, Account.id == Commitment.account_id)
            .where(Commitment.id.in_(chunk), Commitment.status == "open")
        ).all()
        found += [(row, account) for row, account in rows]
    return found


# --- snoozing ----------------------------------------------------------------------------------


def snooze_if_open(session: Session, commitment_id: int, until: datetime) -> bool:
    """Open and not already snoozed until then → snoozed (`version + 1`); True only for the call
    whose UPDATE changed the row, so a replayed press is neither applied nor audited twice."""
    result = session.execute(
        update(Commitment)
        .where(
            Commitment.id == commitment_id,
            Commitment.status == "open",
            or_(Commitment.snoozed_until.is_(None), Commitment.snoozed_until != until),
        )
        .values(snoozed_until=until, version=Commitment.version + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def commitment_as_stored(session: Session, commitment_id: int) -> Commitment:
    """The commitment re-read from the database: after an UPDATE that bypassed the session, what
    the audit entry records (its new version) must be the stored row, not a cached one."""
    return session.get_one(Commitment, commitment_id, populate_existing=True)
