"""The schema itself: migrations, constraints and time handling, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.runtime import Runtime
from storage.db import current_revision, transaction
from storage.models import Account, Delivery


def test_schema_is_at_head_after_start(any_runtime: Runtime) -> None:
    assert current_revision(any_runtime.engine) == "0009"


def test_timestamps_come_back_aware_in_utc(any_runtime: Runtime) -> None:
    paris_noon = datetime(2026, 7, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    with transaction(any_runtime.sessions) as session:
        session.add(
            Account(workspace_id="local", name="ACME", name_key="acme", created_at=paris_noon)
        )
    with any_runtime.sessions() as session:
        stored = session.scalars(select(Account.created_at)).one()
    assert stored == datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
    assert stored.tzinfo is not None and stored.utcoffset() == timedelta(0)


def test_naive_timestamps_are_refused(any_runtime: Runtime) -> None:
    with pytest.raises(Exception, match="naive"), transaction(any_runtime.sessions) as session:
        session.add(
            Account(workspace_id="local", name="A", name_key="a", created_at=datetime(2026, 1, 1))
        )


def test_account_names_are_unique_per_workspace_only(any_runtime: Runtime) -> None:
    with transaction(any_runtime.sessions) as session:
        session.add(Account(workspace_id="T1", name="ACME", name_key="acme"))
        session.add(Account(workspace_id="T2", name="Acme", name_key="acme"))
    with pytest.raises(IntegrityError), transaction(any_runtime.sessions) as session:
        session.add(Account(workspace_id="T1", name="acme", name_key="acme"))


def test_a_delivery_key_can_be_claimed_once(any_runtime: Runtime) -> None:
    with transaction(any_runtime.sessions) as session:
        session.add(Delivery(workspace_id="local", delivery_key="digest:1", kind="digest"))
    with pytest.raises(IntegrityError), transaction(any_runtime.sessions) as session:
        session.add(Delivery(workspace_id="local", delivery_key="digest:1", kind="digest"))


def test_the_head_read_from_file_names_is_alembics_head() -> None:
    """A start-up at head never imports Alembic: it compares with `HEAD_REVISION`, read from
    the migration files' names. That holds while each file is named after its revision."""
    from pathlib import Path

    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from storage.db import HEAD_REVISION, MIGRATIONS_DIR

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    script = ScriptDirectory.from_config(config)
    assert script.get_heads() == [HEAD_REVISION]
    for migration in script.walk_revisions():
        assert Path(migration.path).name.startswith(f"{migration.revision}_")
