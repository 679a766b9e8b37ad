"""account figures: each account's figures per cycle, computed when its responses arrive

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account_figures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("respondents", sa.Integer(), nullable=False),
        sa.Column("promoters", sa.Integer(), nullable=False),
        sa.Column("detractors", sa.Integer(), nullable=False),
        sa.Column("recommend_answered", sa.Integer(), nullable=False),
        sa.Column("satisfaction_sum", sa.Float(), nullable=False),
        sa.Column("satisfaction_mean", sa.Float(), nullable=True),
        sa.Column("nps", sa.Float(), nullable=True),
        sa.Column("decision_maker_high_risk", sa.Boolean(), nullable=False),
        sa.Column("decision_maker_trapped", sa.Boolean(), nullable=False),
        sa.Column("attribute_means", sa.JSON(), nullable=False),
        sa.Column("people", sa.JSON(), nullable=False),
        sa.Column("previous_cycle_id", sa.Integer(), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("champions", sa.JSON(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_account_figures_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["cycle_id"],
            ["cycles.id"],
            name=op.f("fk_account_figures_cycle_id_cycles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_figures")),
        sa.UniqueConstraint(
            "account_id", "cycle_id", name=op.f("uq_account_figures_account_id_cycle_id")
        ),
    )
    _backfill(op.get_bind())


def _backfill(bind: sa.Connection) -> None:
    """The figures of responses stored before this revision, so reports read right after the
    upgrade. Computed by the code that keeps them current (`bot.figures`), unlike 0004's frozen
    statistics: these rows are a cache of today's arithmetic, and a later change to that
    arithmetic recomputes them in its own revision the same way."""
    from bot.figures.service import refresh_everything

    with Session(bind=bind) as session:
        refresh_everything(session)
        session.flush()


def downgrade() -> None:
    op.drop_table("account_figures")
