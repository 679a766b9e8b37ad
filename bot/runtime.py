"""The parts every entry point shares: settings, engine, sessions, schema at head."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings, UnusableSetting
from storage import failures
from storage.db import SchemaChange, make_engine, session_factory, upgrade


class DatabaseProblem(UnusableSetting):
    """`DATABASE_URL` names a database this process cannot use; `str()` is the one line to show.

    Every entry point opens the database here first, so a wrong setting is reported the same
    way for every command, before any work starts, and never as a driver's traceback.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(f"DATABASE_URL: {reason}")
        self.reason = reason


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    schema: SchemaChange | None = None  # what opening did to the schema, when it migrated


def open_runtime(
    settings: Settings, *, migrate: bool = True, concurrency: int | None = None
) -> Runtime:
    """Connect and migrate once at start, so no request ever meets an old schema; the pool has
    room for `concurrency` threads at once (a web worker's thread count)."""
    try:
        engine = make_engine(settings.database_url, concurrency=concurrency)
        schema = upgrade(engine) if migrate else None
    except failures.FAILURES as error:
        raise database_problem(settings, error) from error
    return Runtime(
        settings=settings, engine=engine, sessions=session_factory(engine), schema=schema
    )


def database_problem(settings: Settings, error: BaseException) -> DatabaseProblem:
    """The same sentence for a failure at start and for one a command meets later."""
    return DatabaseProblem(failures.describe(settings.database_url, error))
