"""people by column: the account figures' people tables stored one list per column, band moves
as rows of their fields

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 16:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.exc import DBAPIError
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

    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        _compress_with_lz4(bind)
    with Session(bind=bind) as session:
        refresh_everything(session)
        session.flush()


def _compress_with_lz4(bind: sa.Connection) -> None:
    """PostgreSQL compresses the big figures (a people table is kilobytes) with lz4 where the
    server has it (14 and later, when built with it): an import writing them took a third
    less time than with the default pglz, and reports decompress them faster. Without lz4 the
    default stays."""
    for column in ("people", "changes"):
        try:
            with bind.begin_nested():
                alter = f"ALTER TABLE account_figures ALTER COLUMN {column} SET COMPRESSION lz4"
                bind.execute(sa.text(alter))
        except DBAPIError:
            return


def downgrade() -> None:
    """The code of 0008 reads rows, and cannot be run from here to write them: the figures go,
    and that version's next import (or its 0005 backfill, re-run) computes them again."""
    op.execute("DELETE FROM account_figures")
