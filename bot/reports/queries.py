"""Reading what an account's report is made of besides its own figures (`bot.figures`): its
cycles, benchmarks, commitments, the next cycle.

Everything read is bounded by the account (a handful of precomputed benchmark rows, its open
commitments), so it costs the same in a portfolio of ten accounts or ten thousand.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from bot.reports.model import OpenCommitment
from bot.reports.rules import cycle_order, next_cycle_after
from storage.models import Account, Benchmark, Commitment, Cycle, Response


def cycles_with_data(session: Session, account: Account) -> list[Cycle]:
    """The account's cycles oldest first; a cycle with no answers from it is not its trend."""
    cycle_ids = select(Response.cycle_id).where(Response.account_id == account.id).distinct()
    cycles = session.scalars(select(Cycle).where(Cycle.id.in_(cycle_ids))).all()
    return sorted(cycles, key=cycle_order)


_BENCHMARKS = select(
    Benchmark.cycle_id,
    Benchmark.scope,
    Benchmark.respondents,
    Benchmark.nps,
    Benchmark.satisfaction_mean,
    Benchmark.attribute_means,
).where(
    Benchmark.workspace_id == bindparam("workspace_id"),
    Benchmark.cycle_id.in_(bindparam("cycle_ids", expanding=True)),
    (
        ((Benchmark.scope == "segment") & (Benchmark.segment == bindparam("segment")))
        | (Benchmark.scope == "all")
    ),
)
"""The statements of every report, built once at import: building them per request cost more
than running them. Each request only binds its values."""

_OPEN_COMMITMENTS = (
    select(
        Commitment.id,
        Commitment.text,
        Commitment.owner,
        Commitment.due_on,
        Commitment.status,
        Commitment.area,
    )
    .where(Commitment.account_id == bindparam("account_id"), Commitment.status == "open")
    .order_by(Commitment.due_on.is_(None), Commitment.due_on, Commitment.id)
)

_LAST_STARTS = (
    select(Cycle.starts_on)
    .where(Cycle.workspace_id == bindparam("workspace_id"), Cycle.starts_on.is_not(None))
    .order_by(Cycle.starts_on.desc())
    .limit(2)
)


def benchmarks_of(
    session: Session, account: Account, cycle_ids: list[int]
) -> dict[tuple[int, str], Any]:
    """The segment and all-customer figures for the account's cycles: at most two per cycle,
    as plain rows (respondents, nps, satisfaction_mean, attribute_means): no ORM bookkeeping
    on every report."""
    rows = session.connection().execute(
        _BENCHMARKS,
        {
            "workspace_id": account.workspace_id,
            "cycle_ids": cycle_ids,
            "segment": account.segment,
        },
    )
    return {(row.cycle_id, row.scope): row for row in rows}


def open_commitments_of(session: Session, account_id: int) -> list[OpenCommitment]:
    """The account's open commitments as plain rows, undated last."""
    rows = session.connection().execute(_OPEN_COMMITMENTS, {"account_id": account_id})
    return [OpenCommitment(*row) for row in rows]


def next_cycle_start(session: Session, workspace_id: str) -> date | None:
    """When customers will be asked again: the last cycle's start plus the usual spacing."""
    rows = session.connection().execute(_LAST_STARTS, {"workspace_id": workspace_id})
    return next_cycle_after([starts for (starts,) in rows])
