"""driver statistics and comment tags: per-pattern sufficient statistics; themes and tone

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 10:40:00
"""

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("responses", schema=None) as batch_op:
        # Tagged at import from the comment; responses stored earlier are tagged when re-imported.
        batch_op.add_column(sa.Column("themes", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("tone", sa.String(length=10), nullable=True))
    op.create_table(
        "driver_statistics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("segment", sa.String(length=100), nullable=False),
        sa.Column("pattern", sa.String(length=1000), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("sums", sa.JSON(), nullable=False),
        sa.Column("cross_products", sa.JSON(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cycle_id"],
            ["cycles.id"],
            name=op.f("fk_driver_statistics_cycle_id_cycles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_driver_statistics")),
        sa.UniqueConstraint(
            "workspace_id",
            "cycle_id",
            "scope",
            "segment",
            "pattern",
            name=op.f("uq_driver_statistics_workspace_id_cycle_id_scope_segment_pattern"),
        ),
    )
    _backfill_driver_statistics(op.get_bind())


# The statistics of responses stored before this revision, so `voc drivers` works on existing
# data right after the upgrade. Deliberately self-contained (not bot.drivers): a migration must
# keep doing what it did at its revision whatever the code becomes. Same layout as
# bot.drivers.statistics: per (workspace, cycle, scope, segment, answer pattern), n, the sums and
# the cross-products of (satisfaction, *attributes sorted by name).

_Key = tuple[str, int, str, tuple[str, ...]]
_STATISTICS = sa.table(
    "driver_statistics",
    sa.column("workspace_id", sa.String),
    sa.column("cycle_id", sa.Integer),
    sa.column("scope", sa.String),
    sa.column("segment", sa.String),
    sa.column("pattern", sa.String),
    sa.column("attributes", sa.JSON),
    sa.column("n", sa.Integer),
    sa.column("sums", sa.JSON),
    sa.column("cross_products", sa.JSON),
    sa.column("computed_at", sa.DateTime(timezone=True)),
)


def _backfill_driver_statistics(bind: Any) -> None:
    statement = sa.text(
        "SELECT a.workspace_id, r.cycle_id, a.segment, r.satisfaction, r.ratings "
        "FROM responses r JOIN accounts a ON a.id = r.account_id"
    )
    groups: dict[_Key, list[Any]] = {}
    result = bind.execute(statement.execution_options(stream_results=True))
    for partition in result.partitions(50_000):
        _add_partition(groups, partition)
    rows = []
    totals: dict[_Key, list[Any]] = {}
    for (workspace, cycle, segment, names), moments in groups.items():
        rows.append(_row(workspace, cycle, "segment", segment, names, moments))
        total = totals.setdefault((workspace, cycle, "", names), [0, 0.0, 0.0])
        for i in range(3):
            total[i] = total[i] + moments[i]
    rows += [_row(w, c, "all", "", names, m) for (w, c, _s, names), m in totals.items()]
    if rows:
        bind.execute(_STATISTICS.insert(), rows)


def _add_partition(groups: dict[_Key, list[Any]], partition: Sequence[Any]) -> None:
    ratings = [r if isinstance(r, dict) else json.loads(r or "{}") for *_, r in partition]
    frame = pd.DataFrame.from_records(ratings, index=range(len(ratings)))
    names = sorted(frame.columns)
    scores = frame[names].apply(pd.to_numeric, errors="coerce").to_numpy(float)
    satisfaction = np.array([row[3] for row in partition], dtype=float)
    masks = (~np.isnan(scores)).astype(np.int64) @ (1 << np.arange(len(names), dtype=np.int64))
    keys = pd.DataFrame(
        {
            "workspace": [row[0] for row in partition],
            "cycle": [int(row[1]) for row in partition],
            "segment": [row[2] or "Unsegmented" for row in partition],
            "mask": masks,
        }
    )
    for (workspace, cycle, segment, mask), at in keys.groupby(
        ["workspace", "cycle", "segment", "mask"]
    ).indices.items():
        columns = [i for i in range(len(names)) if int(mask) >> i & 1]
        block = np.column_stack([satisfaction[at], scores[np.ix_(at, columns)]])
        key = (workspace, int(cycle), segment, tuple(names[i] for i in columns))
        moments = groups.setdefault(key, [0, 0.0, 0.0])
        moments[0] += len(at)
        moments[1] = moments[1] + block.sum(axis=0)
        moments[2] = moments[2] + block.T @ block


def _row(
    workspace: str, cycle: int, scope: str, segment: str, names: tuple[str, ...], moments: list
) -> dict[str, Any]:
    n, sums, cross = moments
    return {
        "workspace_id": workspace,
        "cycle_id": cycle,
        "scope": scope,
        "segment": segment,
        "pattern": _pattern(names),
        "attributes": list(names),
        "n": int(n),
        "sums": [float(v) for v in np.atleast_1d(sums)],
        "cross_products": np.atleast_2d(cross).tolist(),
        "computed_at": datetime.now(UTC),
    }


def _pattern(names: tuple[str, ...]) -> str:
    joined = "|".join(names)
    if len(joined) <= 1000:
        return joined
    return "#" + hashlib.blake2b(joined.encode(), digest_size=16).hexdigest()


def downgrade() -> None:
    op.drop_table("driver_statistics")
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_column("tone")
        batch_op.drop_column("themes")
