"""Moving a test database to an older (or back to a newer) schema revision, the way `voc db`
runs Alembic: for the tests of what an upgrade does to data an older version stored."""

from __future__ import annotations

from alembic import command

from bot.runtime import Runtime
from storage.db import alembic_config, current_revision


def move_schema_to(runtime: Runtime, revision: str) -> None:
    """Downgrade or upgrade the runtime's database to `revision` (numbered, so they compare)."""
    config = alembic_config(runtime.engine)
    now = current_revision(runtime.engine) or ""
    with runtime.engine.begin() as connection:
        config.attributes["connection"] = connection
        if revision < now:
            command.downgrade(config, revision)
        else:
            command.upgrade(config, revision)
