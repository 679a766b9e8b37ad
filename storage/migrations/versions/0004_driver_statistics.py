"""driver statistics and comment tags: per-pattern sufficient statistics; themes and tone

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 10:40:00
"""

from collections.abc import Sequence

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


def downgrade() -> None:
    op.drop_table("driver_statistics")
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_column("tone")
        batch_op.drop_column("themes")
