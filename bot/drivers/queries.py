"""The drivers room's SQL: the stored sufficient statistics, and the rows they are rebuilt from."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.core.cycles import cycle_sort_key
from bot.core.lazy import lazy_module
from bot.drivers.statistics import RATING_PREFIX, Moments
from storage.models import Account, Cycle, DriverStatistic, Response

if TYPE_CHECKING:
    import pandas as pd
else:  # loaded when a function here first needs it: most callers never do
    pd = lazy_module("pandas")

REBUILD_CHUNK = 50_000


def replace_statistics(
    session: Session, workspace_id: str, cycle_ids: Sequence[int], rows: list[dict[str, Any]]
) -> None:
    """Make the cycles' statistics exactly `rows` (a pattern or segment no longer seen goes)."""
    session.execute(
        sa.delete(DriverStatistic).where(
            DriverStatistic.workspace_id == workspace_id,
            DriverStatistic.cycle_id.in_(list(cycle_ids)),
        )
    )
    if rows:
        session.execute(sa.insert(DriverStatistic), rows)


def statistic_row(
    workspace_id: str, cycle_id: int, scope: str, segment: str, part: Moments
) -> dict[str, Any]:
    return {
        "workspace_id": workspace_id,
        "cycle_id": cycle_id,
        "scope": scope,
        "segment": segment,
        "pattern": part.pattern,
        "attributes": list(part.attributes),
        "n": int(part.n),
        "sums": [float(v) for v in part.sums],
        "cross_products": [[float(v) for v in row] for row in part.cross],
        "computed_at": datetime.now(UTC),
    }


def response_chunks(
    session: Session, workspace_id: str, cycle_ids: Sequence[int]
) -> Iterator[pd.DataFrame]:
    """The cycles' stored responses as frames of cycle_id, segment, satisfaction, rating:*."""
    statement = (
        sa.select(Response.cycle_id, Account.segment, Response.satisfaction, Response.ratings)
        .join(Account, Account.id == Response.account_id)
        .where(Account.workspace_id == workspace_id, Response.cycle_id.in_(list(cycle_ids)))
        .execution_options(yield_per=REBUILD_CHUNK)
    )
    for partition in session.execute(statement).partitions():
        cycle_ids_, segments, satisfaction, ratings = zip(*partition, strict=True)
        frame = pd.DataFrame.from_records([r or {} for r in ratings])
        frame.columns = [f"{RATING_PREFIX}{c}" for c in frame.columns]
        frame["cycle_id"] = np.asarray(cycle_ids_, dtype=np.int64)
        frame["segment"] = list(segments)
        frame["satisfaction"] = np.asarray(satisfaction, dtype=float)
        yield frame


StoredStatistic = tuple[tuple[str, ...], int, tuple[float, ...], tuple[tuple[float, ...], ...]]
"""One answer pattern's statistics as stored (attributes, n, sums, cross-products), hashable:
equal statistics are an equal key, so what is derived from them can be kept by it."""

_STATISTICS = sa.select(
    DriverStatistic.attributes,
    DriverStatistic.n,
    DriverStatistic.sums,
    DriverStatistic.cross_products,
).where(
    DriverStatistic.workspace_id == sa.bindparam("workspace_id"),
    DriverStatistic.cycle_id == sa.bindparam("cycle_id"),
    DriverStatistic.scope == sa.bindparam("scope"),
    DriverStatistic.segment == sa.bindparam("segment"),
)
"""Built once at import: the account report reads it on every request."""


def stored_statistics(
    session: Session, workspace_id: str, cycle_id: int, scope: str, segment: str
) -> tuple[StoredStatistic, ...]:
    params = {"workspace_id": workspace_id, "cycle_id": cycle_id, "scope": scope}
    rows = session.connection().execute(_STATISTICS, {**params, "segment": segment})
    return tuple(
        (tuple(attributes), int(n), tuple(sums), tuple(tuple(row) for row in cross))
        for attributes, n, sums, cross in rows
    )


def as_moments(statistic: StoredStatistic) -> Moments:
    attributes, n, sums, cross = statistic
    return Moments(attributes, n, np.asarray(sums, float), np.asarray(cross, float))


def stored_moments(
    session: Session, workspace_id: str, cycle_id: int, scope: str, segment: str
) -> list[Moments]:
    statistics = stored_statistics(session, workspace_id, cycle_id, scope, segment)
    return [as_moments(statistic) for statistic in statistics]


def cycles_with_statistics(
    session: Session, workspace_id: str, scope: str, segment: str
) -> list[tuple[int, str]]:
    """(id, label) of the cycles with data in the scope, oldest first in cycle order."""
    statement = (
        sa.select(Cycle.id, Cycle.label, Cycle.starts_on)
        .join(DriverStatistic, DriverStatistic.cycle_id == Cycle.id)
        .where(
            DriverStatistic.workspace_id == workspace_id,
            DriverStatistic.scope == scope,
            DriverStatistic.segment == segment,
        )
        .distinct()
    )
    rows = sorted(session.execute(statement), key=lambda r: cycle_sort_key(r.starts_on, r.label))
    return [(int(r.id), str(r.label)) for r in rows]


def cycle_labels(session: Session, workspace_id: str) -> list[str]:
    return list(session.scalars(sa.select(Cycle.label).where(Cycle.workspace_id == workspace_id)))


def segment_names(session: Session, workspace_id: str) -> list[str]:
    statement = sa.select(Account.segment).where(Account.workspace_id == workspace_id).distinct()
    return sorted(str(s) for s in session.scalars(statement))
