"""people and owner keys: Slack's people listed in bulk; a person's open items by index

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "slack_people",
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("tz", sa.String(length=64), nullable=True),
        sa.Column("is_bot", sa.Boolean(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "user_id", name=op.f("pk_slack_people")),
    )
    op.create_index("ix_slack_people_email", "slack_people", ["workspace_id", "email"])
    # Emails compare in any case; the expression is the one the query filters on, so SQLite and
    # PostgreSQL both read a person's open commitments from the index, whatever the table's size.
    op.create_index(
        "ix_commitments_owner_key",
        "commitments",
        ["workspace_id", sa.text("lower(owner)"), "status"],
    )
    op.create_index("ix_followups_owner", "followups", ["workspace_id", "owner", "status"])


def downgrade() -> None:
    op.drop_index("ix_followups_owner", table_name="followups")
    op.drop_index("ix_commitments_owner_key", table_name="commitments")
    op.drop_index("ix_slack_people_email", table_name="slack_people")
    op.drop_table("slack_people")
