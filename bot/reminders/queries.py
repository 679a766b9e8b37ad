"""The reminders' and escalations' SQL: open commitments, cycles, what the ledger shows as sent,
the late promises escalations raise, the snooze button's conditional update, and the open
follow-ups the day's DM lists.

Planning is set-based: one query for every open commitment, then a few `IN` (or, on
PostgreSQL, array) queries for the ledger, never a query per item.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import (
    ARRAY,
    Row,
    String,
    any_,
    bindparam,
    cast,
    func,
    literal,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.orm import Session, sessionmaker

from bot.accounts.queries import trusted_channel_column
from bot.reports.queries import next_cycle_start
from bot.views.common import truncate
from storage.bulk import fetch_rows
from storage.models import Account, Commitment, Cycle, Delivery, Followup

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


# --- follow-ups in the day's DM ----------------------------------------------------------------

OPEN_FOLLOWUP_COLUMNS = ["id", "workspace_id", "account_id", "owner", "opened_at", "due_at"]
ACCOUNT_COLUMNS = [
    "account_id",
    "account_manager",
    "exec_sponsor",
    "tier",
    "account_name",
    "channel",
]


def load_open_followups(
    session: Session, *, to_flag_before: datetime | None = None
) -> pd.DataFrame:
    """Every open follow-up with who answers for its account: two queries, no join.

    With `to_flag_before`: only those opened before it, on accounts with a channel, whose
    channel flag (`followup-late:<id>`) is not sent yet (one unique-key look-up each), so a
    tick does not re-check a hundred thousand flags it posted long ago.

    `owner` is the follow-up's own, else the account manager's (nobody took it). Times are UTC
    `datetime64` columns, so planning compares them as whole columns. The account's columns are
    read once per account and joined in pandas: 100,000 rows each carrying their account's
    names and channel cost twice the reading of the follow-ups themselves.
    """
    rows = fetch_rows(
        session,
        select(
            Followup.id,
            Followup.workspace_id,
            Followup.account_id,
            Followup.owner,
            # As the driver returns them: pandas reads a whole column at once, where the
            # column type would convert 100,000 values one by one.
            type_coerce(Followup.opened_at, String),
            type_coerce(Followup.due_at, String),
        ).where(Followup.status == "open", *_to_flag(to_flag_before)),
    )
    frame = pd.DataFrame.from_records(rows, columns=OPEN_FOLLOWUP_COLUMNS)
    for column in ("opened_at", "due_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    accounts = session.execute(
        select(
            Account.id,
            Account.account_manager,
            Account.exec_sponsor,
            Account.tier,
            Account.name,
            Account.channel,
        ).where(Account.id.in_(select(Followup.account_id).where(Followup.status == "open")))
    )
    frame = frame.merge(_frame(accounts.all(), ACCOUNT_COLUMNS), on="account_id", how="left")
    frame["owner"] = frame["owner"].fillna(frame["account_manager"])
    return frame


def _to_flag(before: datetime | None) -> list[Any]:
    if before is None:
        return []
    flag_key = literal("followup-late:") + cast(Followup.id, String)
    flagged = (
        select(Delivery.id)
        .where(
            Delivery.workspace_id == Followup.workspace_id,
            Delivery.delivery_key == flag_key,
            Delivery.status == "sent",
        )
        .exists()
    )
    with_channel = select(Account.id).where(
        Account.id == Followup.account_id, Account.channel.is_not(None)
    )
    return [Followup.opened_at < before, with_channel.exists(), ~flagged]


def _frame(rows: Sequence[Any], columns: list[str]) -> pd.DataFrame:
    """Rows as a frame, from plain tuples: pandas reads those in C, row objects one by one."""
    return pd.DataFrame.from_records([tuple(row) for row in rows], columns=columns)


def open_followup_owners(session: Session, ids: Sequence[int]) -> dict[int, Any]:
    """Each still-open follow-up's owner (or account manager), manager, sponsor and tier as they
    are now: the re-check inside a DM's claim, since follow-ups are taken and closed."""
    current: dict[int, Any] = {}
    for chunk in chunks(list(ids), IN_CHUNK):
        rows = session.execute(
            select(
                Followup.id,
                func.coalesce(Followup.owner, Account.account_manager).label("owner"),
                Account.account_manager,
                Account.exec_sponsor,
                Account.tier,
            )
            .join(Account, Account.id == Followup.account_id)
            .where(Followup.id.in_(chunk), Followup.status == "open")
        ).all()
        current.update({row.id: row for row in rows})
    return current


def retime_followups(session: Session, due: dict[int, datetime]) -> None:
    """Store each open follow-up's due time as counted in its owner's timezone (the tick that
    planned the DM knew it; the import did not). One statement for them all; a row whose time
    is already right, or that is no longer open, is left as it is."""
    if not due:
        return
    table = Followup.__table__
    statement = (
        update(table)
        .where(
            table.c.id == bindparam("followup_id"),
            table.c.status == "open",
            table.c.due_at != bindparam("new_due", type_=table.c.due_at.type),
        )
        .values(due_at=bindparam("new_due", type_=table.c.due_at.type))
    )
    session.execute(statement, [{"followup_id": i, "new_due": at} for i, at in sorted(due.items())])
