"""links and channel ids: a commitment answers a follow-up; a channel is known by its ID

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 10:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("commitments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("followup_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_commitments_followup_id_followups"),
            "followups",
            ["followup_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index("ix_commitments_followup", ["followup_id"], unique=False)
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        # The roster's `#name` is only a hint: the ID it resolved to is what grants access.
        batch_op.add_column(sa.Column("channel_id", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("channel_id")
    with op.batch_alter_table("commitments", schema=None) as batch_op:
        batch_op.drop_index("ix_commitments_followup")
        batch_op.drop_constraint(
            batch_op.f("fk_commitments_followup_id_followups"), type_="foreignkey"
        )
        batch_op.drop_column("followup_id")
