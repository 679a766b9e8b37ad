"""people by column: the account figures' people tables stored one list per column, band moves
as rows of their fields

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 16:40:00
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy.orm import Session

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Recompute every account's figures: only their shape changed. The people table went from
    a list of rows to a list per column (nothing per person is built in Python when a big import
    computes them) without the unread respondent keys, and a band move from an object to its
    four fields: a third of the bytes an import writes. The figures are a cache of
    `bot.figures`' arithmetic, recomputed as 0005 says a change to it is."""
    from bot.figures.service import refresh_everything

    with Session(bind=op.get_bind()) as session:
        refresh_everything(session)
        session.flush()


def downgrade() -> None:
    """The code of 0008 reads rows, and cannot be run from here to write them: the figures go,
    and that version's next import (or its 0005 backfill, re-run) computes them again."""
    op.execute("DELETE FROM account_figures")
