"""The parts every entry point shares: settings, engine, sessions, schema at head."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings
from storage.db import make_engine, session_factory, upgrade


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]


def open_runtime(settings: Settings, *, migrate: bool = True) -> Runtime:
    """Connect and migrate once at start, so no request ever meets an old schema."""
    engine = make_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    return Runtime(settings=settings, engine=engine, sessions=session_factory(engine))
